package dev.weft.config;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;

/**
 * Where weft keeps its state, as {@code WEFT_DB} names it: a SQLite file (the embedded default) or
 * a PostgreSQL server. A closed set, so the opener ({@code Databases}) handles each kind and the
 * settings that depend on the kind (the key file's and git cache's defaults) are decided here once,
 * not by guessing at a string.
 */
public sealed interface DatabaseLocation {
    /** A SQLite file; relative paths resolve against the working directory. */
    record Sqlite(Path file) implements DatabaseLocation {
        public Sqlite {
            Objects.requireNonNull(file, "file");
        }

        @Override
        public String toString() {
            return file.toString();
        }
    }

    /**
     * A PostgreSQL database.
     *
     * @param jdbcUrl  {@code jdbc:postgresql://host[:port]/database[?params]}, without user or password
     *                 when they were given as {@code user:password@}
     * @param user     null when the URL's parameters (or the driver's defaults) name it
     * @param password null when none was given (or it is in the URL's parameters)
     */
    record Postgres(String jdbcUrl, String user, String password) implements DatabaseLocation {
        public Postgres {
            Objects.requireNonNull(jdbcUrl, "jdbcUrl");
        }

        public Postgres withPassword(String password) {
            return new Postgres(jdbcUrl, user, password);
        }

        /** Never shows the password: this is what logs and {@code --print-config} print. */
        @Override
        public String toString() {
            String url = jdbcUrl.replaceAll("(?i)(password=)[^&]*", "$1***");
            return user == null ? url : url + " (user " + user + (password == null ? "" : ", password ***") + ")";
        }
    }

    /**
     * Reads {@code WEFT_DB}: {@code postgresql://user[:password]@host[:port]/database[?params]} (or
     * {@code postgres://}, libpq's other spelling) and {@code jdbc:postgresql:...} name PostgreSQL;
     * anything else is a SQLite path, as before. Empty when a PostgreSQL URL is malformed, with the
     * reason in {@code problem}.
     */
    static Optional<DatabaseLocation> parse(String text, StringBuilder problem) {
        String lower = text.toLowerCase(java.util.Locale.ROOT);
        if (lower.startsWith("jdbc:postgresql:")) return Optional.of(new Postgres(text, null, null));
        String rest;
        if (lower.startsWith("postgresql://")) rest = text.substring("postgresql://".length());
        else if (lower.startsWith("postgres://")) rest = text.substring("postgres://".length());
        else return Optional.of(new Sqlite(Path.of(text)));
        String user = null;
        String password = null;
        int slash = rest.indexOf('/');
        int at = rest.lastIndexOf('@', slash < 0 ? rest.length() - 1 : slash);
        if (at >= 0) {
            String userInfo = rest.substring(0, at);
            rest = rest.substring(at + 1);
            int colon = userInfo.indexOf(':');
            user = decode(colon < 0 ? userInfo : userInfo.substring(0, colon));
            if (colon >= 0) password = decode(userInfo.substring(colon + 1));
            if (user.isEmpty()) user = null;
        }
        slash = rest.indexOf('/');
        String hostPort = slash < 0 ? rest : rest.substring(0, slash);
        String dbAndParams = slash < 0 ? "" : rest.substring(slash + 1);
        String database = dbAndParams.contains("?") ? dbAndParams.substring(0, dbAndParams.indexOf('?')) : dbAndParams;
        if (hostPort.isEmpty()) {
            problem.append("a PostgreSQL URL needs a host: postgresql://user[:password]@host[:port]/database");
            return Optional.empty();
        }
        if (database.isEmpty()) {
            problem.append("a PostgreSQL URL needs a database: postgresql://user[:password]@host[:port]/database");
            return Optional.empty();
        }
        int colon = hostPort.lastIndexOf(':');
        if (colon >= 0 && !hostPort.endsWith("]")) {
            String port = hostPort.substring(colon + 1);
            if (!port.matches("[0-9]{1,5}") || Integer.parseInt(port) > 65535) {
                problem.append("port must be 0..65535, got ").append(port);
                return Optional.empty();
            }
        }
        return Optional.of(new Postgres("jdbc:postgresql://" + hostPort + "/" + dbAndParams, user, password));
    }

    private static String decode(String s) {
        return URLDecoder.decode(s.replace("+", "%2B"), StandardCharsets.UTF_8);
    }
}
