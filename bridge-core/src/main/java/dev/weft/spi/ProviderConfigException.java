package dev.weft.spi;

import java.util.List;

/** A provider's configuration is wrong; carries every problem so the operator fixes them at once. */
public class ProviderConfigException extends Exception {
    private final List<String> problems;

    public ProviderConfigException(List<String> problems) {
        super(String.join("; ", problems));
        this.problems = List.copyOf(problems);
    }

    public List<String> problems() {
        return problems;
    }
}
