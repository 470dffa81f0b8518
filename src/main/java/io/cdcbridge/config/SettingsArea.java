package io.cdcbridge.config;

import java.util.ArrayList;
import java.util.List;

/**
 * One area's settings (a section of docs/configuration.md), in the order they are declared. Each area class holds one
 * as its first field and passes every declaration through {@link #declare}; static fields initialize in textual order,
 * so once the class is initialized the list is complete.
 */
public final class SettingsArea {

    private final String title;
    private final String summary;
    private final List<Setting<?>> settings = new ArrayList<>();

    public SettingsArea(String title, String summary) {
        this.title = title;
        this.summary = summary;
    }

    /** Adds the setting to this area and returns it (for the constant that holds it). */
    public synchronized <T> Setting<T> declare(Setting<T> setting) {
        if (setting.description().isBlank()) {
            throw new IllegalStateException(setting.pattern() + " has no description");
        }
        settings.add(setting);
        return setting;
    }

    public String title() {
        return title;
    }

    /** One or two sentences above the area's table. */
    public String summary() {
        return summary;
    }

    public synchronized List<Setting<?>> settings() {
        return List.copyOf(settings);
    }

    @Override
    public String toString() {
        return title;
    }
}
