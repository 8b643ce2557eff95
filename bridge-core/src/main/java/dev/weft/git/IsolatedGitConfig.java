package dev.weft.git;

import java.io.File;
import org.eclipse.jgit.lib.Config;
import org.eclipse.jgit.storage.file.FileBasedConfig;
import org.eclipse.jgit.util.FS;
import org.eclipse.jgit.util.SystemReader;

/**
 * Keeps JGit away from the operator's git setup. By default JGit reads {@code ~/.gitconfig}, the
 * system gitconfig (which it locates by running a {@code git} binary if one is installed) and
 * writes {@code ~/.config/jgit/config}. A daemon's fetches must not change with whoever's home
 * directory it runs in ({@code url.insteadOf}, proxies, credential helpers) nor spawn processes, so
 * those three configs are empty and in memory. JGit's {@link SystemReader} is process-wide; weft is
 * its only user, so installing this once is safe.
 */
final class IsolatedGitConfig extends SystemReader.Delegate {

    private IsolatedGitConfig(SystemReader delegate) {
        super(delegate);
    }

    /** Installs the isolation unless it already is; idempotent and thread-safe. */
    static synchronized void install() {
        SystemReader current = SystemReader.getInstance();
        if (!(current instanceof IsolatedGitConfig)) {
            SystemReader.setInstance(new IsolatedGitConfig(current));
        }
    }

    @Override
    public FileBasedConfig openUserConfig(Config parent, FS fs) {
        return new EmptyConfig(parent, fs);
    }

    @Override
    public FileBasedConfig openSystemConfig(Config parent, FS fs) {
        return new EmptyConfig(parent, fs);
    }

    @Override
    public FileBasedConfig openJGitConfig(Config parent, FS fs) {
        return new EmptyConfig(parent, fs);
    }

    /** A config with no file: loads nothing, saves nothing, never outdated. */
    private static final class EmptyConfig extends FileBasedConfig {
        EmptyConfig(Config parent, FS fs) {
            super(parent, (File) null, fs);
        }

        @Override
        public void load() {
            // nothing to read
        }

        @Override
        public void save() {
            // nothing to write
        }

        @Override
        public boolean isOutdated() {
            return false;
        }
    }
}
