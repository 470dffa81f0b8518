package io.cdcbridge.config;

import java.net.URI;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.time.DateTimeException;
import java.time.Duration;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * One declared setting: its key, type, default, a one-line description for users, whether it is a secret, and what
 * values it accepts. Read it with {@link Settings#get(Setting)}: the value comes back typed and validated, and a bad
 * value stops start-up with a {@link ConfigException} naming the key.
 *
 * <p>A prefix setting stands for a family of keys, {@code cdc.kafka.producer.<property>} or
 * {@code cdc.passthrough.<topic>.carol-staging}: the part in angle brackets is free, the rest is fixed. Read those with
 * {@link Settings#under(Setting)}.
 *
 * <p>Settings are declared once, in the area classes of this package ({@link SourceSettings}, {@link KafkaSettings},
 * ...), and listed by {@link SettingsCatalog}; docs/configuration.md is generated from them. The fluent methods return
 * a modified copy, so a declaration reads as one expression.
 *
 * @param <T> the value's Java type
 */
public final class Setting<T> {

    /** Turns the raw text into a value, or throws {@link IllegalArgumentException} with the problem ("must be ..."). */
    @FunctionalInterface
    public interface Parser<T> {
        T parse(String raw);
    }

    private record Check<T>(Predicate<T> ok, String problem) {
    }

    private final String key;
    private final String placeholder;
    private final String suffix;
    private final String type;
    private final Parser<T> parser;
    private final Function<T, String> formatter;
    private final Function<T, Long> magnitude;
    private T defaultValue;
    private Function<Settings, T> derived;
    private String defaultText;
    private String description = "";
    private boolean secret;
    private String requiredWhen;
    private String constraint;
    private List<Check<T>> checks = List.of();

    private Setting(String key, String placeholder, String suffix, String type, Parser<T> parser,
                    Function<T, String> formatter, Function<T, Long> magnitude) {
        if (!key.startsWith("cdc.")) {
            throw new IllegalArgumentException("settings start with cdc.: " + key);
        }
        this.key = key;
        this.placeholder = placeholder;
        this.suffix = suffix;
        this.type = type;
        this.parser = parser;
        this.formatter = formatter;
        this.magnitude = magnitude;
    }

    private Setting<T> copy() {
        Setting<T> c = new Setting<>(key, placeholder, suffix, type, parser, formatter, magnitude);
        c.defaultValue = defaultValue;
        c.derived = derived;
        c.defaultText = defaultText;
        c.description = description;
        c.secret = secret;
        c.requiredWhen = requiredWhen;
        c.constraint = constraint;
        c.checks = checks;
        return c;
    }

    // ---------------------------------------------------------------- types

    /** Text, trimmed. */
    public static Setting<String> string(String key) {
        return new Setting<>(key, null, "", "string", raw -> raw, s -> s, null);
    }

    public static Setting<String> string(String key, String def) {
        return string(key).defaultValue(def);
    }

    /** A whole number (32 bits). */
    public static Setting<Integer> integer(String key) {
        return new Setting<>(key, null, "", "int", raw -> (int) wholeNumber(raw, Integer.MIN_VALUE, Integer.MAX_VALUE),
                String::valueOf, Integer::longValue);
    }

    public static Setting<Integer> integer(String key, int def) {
        return integer(key).defaultValue(def);
    }

    /** A whole number (64 bits). */
    public static Setting<Long> longInteger(String key, long def) {
        return new Setting<>(key, null, "", "long", raw -> wholeNumber(raw, Long.MIN_VALUE, Long.MAX_VALUE),
                String::valueOf, v -> v).defaultValue(def);
    }

    /** A size in bytes (a whole number). */
    public static Setting<Long> bytes(String key, long def) {
        return new Setting<>(key, null, "", "bytes", raw -> wholeNumber(raw, 0, Long.MAX_VALUE), String::valueOf, v -> v)
                .defaultValue(def);
    }

    /** A TCP port, 0-65535. */
    public static Setting<Integer> port(String key) {
        return new Setting<>(key, null, "", "port", raw -> {
            long p = wholeNumber(raw, Integer.MIN_VALUE, Integer.MAX_VALUE);
            if (p < 0 || p > 65535) {
                throw new IllegalArgumentException("must be a port between 0 and 65535");
            }
            return (int) p;
        }, String::valueOf, Integer::longValue);
    }

    public static Setting<Integer> port(String key, int def) {
        return port(key).defaultValue(def);
    }

    /** {@code true/false} (also {@code yes/no}, {@code on/off}). */
    public static Setting<Boolean> bool(String key) {
        return new Setting<>(key, null, "", "boolean", raw -> switch (raw.toLowerCase(Locale.ROOT)) {
            case "true", "yes", "on" -> true;
            case "false", "no", "off" -> false;
            default -> throw new IllegalArgumentException("must be true or false");
        }, String::valueOf, null);
    }

    public static Setting<Boolean> bool(String key, boolean def) {
        return bool(key).defaultValue(def);
    }

    /** One of the given words, case-insensitive; the value is lower case. */
    public static Setting<String> choice(String key, String def, String... allowed) {
        List<String> words = List.of(allowed);
        Setting<String> s = new Setting<>(key, null, "", "choice", raw -> {
            String v = raw.toLowerCase(Locale.ROOT);
            if (!words.contains(v)) {
                throw new IllegalArgumentException("must be one of " + String.join(", ", words));
            }
            return v;
        }, v -> v, null);
        s.constraint = String.join(", ", words);
        if (def != null && !words.contains(def)) {
            throw new IllegalArgumentException(key + ": default " + def + " is not a choice");
        }
        return def == null ? s : s.defaultValue(def);
    }

    /** A duration written in milliseconds (keys ending in {@code -ms}). */
    public static Setting<Duration> millis(String key, long def) {
        return duration(key, "ms", Duration::ofMillis, Duration::toMillis).defaultValue(Duration.ofMillis(def));
    }

    /** A duration written in seconds (keys ending in {@code -s}). */
    public static Setting<Duration> seconds(String key, long def) {
        return duration(key, "s", Duration::ofSeconds, Duration::getSeconds).defaultValue(Duration.ofSeconds(def));
    }

    private static Setting<Duration> duration(String key, String unit, Function<Long, Duration> of, Function<Duration, Long> in) {
        return new Setting<>(key, null, "", "duration (" + unit + ")", raw -> of.apply(wholeNumber(raw, 0, Long.MAX_VALUE / 1_000_000)),
                d -> String.valueOf(in.apply(d)), in);
    }

    /** A time zone id ({@code UTC}, {@code America/Sao_Paulo}). */
    public static Setting<ZoneId> zone(String key) {
        return new Setting<>(key, null, "", "time zone", raw -> {
            try {
                return ZoneId.of(raw);
            } catch (DateTimeException e) {
                throw new IllegalArgumentException("is not a time zone id (UTC, America/Sao_Paulo, ...)");
            }
        }, ZoneId::getId, null);
    }

    /** A file or directory path (relative ones resolve against the working directory). */
    public static Setting<Path> path(String key) {
        return new Setting<>(key, null, "", "path", raw -> {
            try {
                return Path.of(raw);
            } catch (InvalidPathException e) {
                throw new IllegalArgumentException("is not a path");
            }
        }, Path::toString, null);
    }

    public static Setting<Path> path(String key, String def) {
        return path(key).defaultValue(Path.of(def));
    }

    /** Comma-separated words, trimmed, empty entries dropped; the default is the empty list. */
    public static Setting<List<String>> list(String key) {
        return new Setting<List<String>>(key, null, "", "list", Setting::splitList, v -> String.join(",", v), null)
                .defaultValue(List.of());
    }

    /** An absolute URI ({@code scheme://host...}). */
    public static Setting<URI> uri(String key) {
        return new Setting<>(key, null, "", "URL", raw -> {
            try {
                URI u = URI.create(raw);
                if (u.getScheme() == null || u.getHost() == null) {
                    throw new IllegalArgumentException("no scheme or host");
                }
                return u;
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("is not a URL like https://host[:port]");
            }
        }, URI::toString, null);
    }

    /**
     * A family of keys: {@code cdc.kafka.producer.<property>}, {@code cdc.passthrough.<topic>.carol-staging}. The part
     * in angle brackets is free (at least one character); values are text until {@link #as} says otherwise.
     */
    public static Setting<String> prefix(String pattern) {
        // the free part runs from the first < to the last > (cdc.carol.staging.<schema>.<table>)
        int open = pattern.indexOf('<');
        int close = pattern.lastIndexOf('>');
        if (open < 0 || close < open) {
            throw new IllegalArgumentException("a prefix setting has a free <part>: " + pattern);
        }
        return new Setting<>(pattern.substring(0, open), pattern.substring(open, close + 1), pattern.substring(close + 1),
                "string", raw -> raw, s -> s, null);
    }

    /** The same key with another value type (its default, checks and constraint text are dropped). */
    public <U> Setting<U> as(String typeName, Parser<U> parse, Function<U, String> format) {
        Setting<U> s = new Setting<>(key, placeholder, suffix, typeName, parse, format, null);
        s.description = description;
        s.secret = secret;
        s.requiredWhen = requiredWhen;
        return s;
    }

    // ---------------------------------------------------------------- declaration

    /** What the setting does, one line, for users (docs/configuration.md). */
    public Setting<T> describe(String text) {
        Setting<T> c = copy();
        c.description = text;
        return c;
    }

    public Setting<T> defaultValue(T value) {
        Setting<T> c = copy();
        c.defaultValue = value;
        c.derived = null;
        return c;
    }

    /** A default worked out from other settings ({@code cdc.carol.org} defaults to the tenant); {@code text} for docs. */
    public Setting<T> defaultFrom(Function<Settings, T> rule, String text) {
        Setting<T> c = copy();
        c.defaultValue = null;
        c.derived = Objects.requireNonNull(rule);
        c.defaultText = text;
        return c;
    }

    /** How the default reads in the docs when the value alone does not say it ("empty: the embedded demo Postgres"). */
    public Setting<T> defaultText(String text) {
        Setting<T> c = copy();
        c.defaultText = text;
        return c;
    }

    /** Its value is a secret: never logged, shown, published to Camel or put in a message. */
    public Setting<T> secret() {
        Setting<T> c = copy();
        c.secret = true;
        return c;
    }

    /** Documents when the setting must be set ("the sink is enabled"); {@link Settings#require} enforces it. */
    public Setting<T> requiredWhen(String condition) {
        Setting<T> c = copy();
        c.requiredWhen = condition;
        return c;
    }

    /** A further rule: values for which {@code ok} is false are refused with {@code problem} ("must be ..."). */
    public Setting<T> check(Predicate<T> ok, String problem) {
        return check(ok, problem, null);
    }

    private Setting<T> check(Predicate<T> ok, String problem, String constraintText) {
        Setting<T> c = copy();
        List<Check<T>> all = new ArrayList<>(checks);
        all.add(new Check<>(ok, problem));
        c.checks = List.copyOf(all);
        if (constraintText != null) {
            c.constraint = constraint == null ? constraintText : constraint + "; " + constraintText;
        }
        return c;
    }

    /** The text must match the regex (whole value); for a list, every entry must. */
    public Setting<T> matching(String regex, String problem) {
        Pattern p = Pattern.compile(regex);
        return check(v -> {
            if (v instanceof List<?> l) {
                for (Object e : l) {
                    if (!p.matcher(String.valueOf(e)).matches()) {
                        throw new IllegalArgumentException(problem + " ('" + e + "' is not)");
                    }
                }
                return true;
            }
            return p.matcher(formatter.apply(v)).matches();
        }, problem);
    }

    /** A number (or duration, in its unit) within [min, max]. */
    public Setting<T> range(long min, long max) {
        Function<T, Long> m = numeric();
        String text = max >= Integer.MAX_VALUE ? "≥ " + min : min < 0 ? min + " to " + max : min + "–" + max;
        return check(v -> m.apply(v) >= min && m.apply(v) <= max, "must be between " + min + " and " + max, text);
    }

    /** A number (or duration, in its unit) of at least {@code min}. */
    public Setting<T> min(long min) {
        Function<T, Long> m = numeric();
        return check(v -> m.apply(v) >= min, "must be at least " + min, "≥ " + min);
    }

    private Function<T, Long> numeric() {
        if (magnitude == null) {
            throw new IllegalStateException(key + ": bounds apply to numbers and durations, not to " + type);
        }
        return magnitude;
    }

    // ---------------------------------------------------------------- reading

    /** The key, or for a prefix setting its fixed start ({@code cdc.kafka.producer.}). */
    public String key() {
        return key;
    }

    /** The key as users read it: {@code cdc.source.host}, {@code cdc.kafka.producer.<property>}. */
    public String pattern() {
        return isPrefix() ? key + placeholder + suffix : key;
    }

    /**
     * Whether this family's free part is a client property ({@code <property>}: Kafka's and Debezium's are lower case
     * and dotted, so an upper-case environment variable can spell them), not a name that keeps its case.
     */
    public boolean isPropertyFamily() {
        return "<property>".equals(placeholder);
    }

    public boolean isPrefix() {
        return placeholder != null;
    }

    /** For a prefix setting: what follows the free part ({@code .carol-staging}), else empty. */
    public String suffix() {
        return suffix;
    }

    /** Whether a concrete key is this setting (or, for a prefix setting, one of its family). */
    public boolean matches(String candidate) {
        if (!isPrefix()) {
            return key.equals(candidate);
        }
        return candidate.startsWith(key) && candidate.endsWith(suffix) && candidate.length() > key.length() + suffix.length();
    }

    /** For a prefix setting: the free part of a matching key ({@code public.Users} of {@code cdc.carol.staging.public.Users}). */
    public String part(String candidate) {
        return candidate.substring(key.length(), candidate.length() - suffix.length());
    }

    /** The concrete key for a free part: {@code staging.key("public.Users")}. */
    public String key(String part) {
        if (!isPrefix()) {
            throw new IllegalStateException(key + " is not a prefix setting");
        }
        return key + part + suffix;
    }

    public String type() {
        return type;
    }

    public String description() {
        return description;
    }

    public boolean isSecret() {
        return secret;
    }

    /** When it must be set, or null. */
    public String requiredWhen() {
        return requiredWhen;
    }

    /** Accepted values as text (bounds, choices), or null. */
    public String constraint() {
        return constraint;
    }

    /** The fixed default, or null (none, or worked out from other settings: {@link #defaultFor}). */
    public T defaultValue() {
        return defaultValue;
    }

    /** Whether the default is worked out from other settings. */
    public boolean hasDerivedDefault() {
        return derived != null;
    }

    /** The default for these settings: the fixed one, or the one worked out from them; null when there is none. */
    public T defaultFor(Settings settings) {
        return derived != null ? derived.apply(settings) : defaultValue;
    }

    /** The default as docs/configuration.md shows it (Markdown), empty when there is none. */
    public String defaultDescription() {
        if (defaultText != null) {
            return defaultText;
        }
        if (defaultValue == null) {
            return "";
        }
        String f = formatter.apply(defaultValue);
        return f.isEmpty() ? "" : "`" + f + "`";
    }

    /** The value as settings text (what {@link SettingsCatalog#effective} publishes): durations in their unit, lists with commas. */
    public String format(T value) {
        return formatter.apply(value);
    }

    /**
     * The typed value of raw text, checked. {@code key} is the concrete key (for a prefix setting, the one being read)
     * and {@code shown} the value as a message may show it (masked for a secret).
     */
    T parse(String concreteKey, String raw, String shown) {
        T value;
        try {
            value = parser.parse(raw);
        } catch (IllegalArgumentException e) {
            throw new ConfigException(concreteKey, e.getMessage() + ", got '" + shown + "'");
        }
        for (Check<T> c : checks) {
            String problem = null;
            try {
                if (!c.ok().test(value)) {
                    problem = c.problem();
                }
            } catch (IllegalArgumentException e) {
                // a check that can say more than its fixed text (which entry of a list is wrong)
                problem = e.getMessage() == null || secret ? c.problem() : e.getMessage();
            } catch (RuntimeException e) {
                problem = c.problem();
            }
            if (problem != null) {
                throw new ConfigException(concreteKey, problem + ", got '" + shown + "'");
            }
        }
        return value;
    }

    private static long wholeNumber(String raw, long min, long max) {
        long n;
        try {
            n = Long.parseLong(raw);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("must be a whole number");
        }
        if (n < min || n > max) {
            throw new IllegalArgumentException("must be between " + min + " and " + max);
        }
        return n;
    }

    private static List<String> splitList(String csv) {
        return Collections.unmodifiableList(Arrays.stream(csv.split(",")).map(String::trim).filter(s -> !s.isEmpty())
                .collect(Collectors.toList()));
    }

    @Override
    public String toString() {
        return pattern();
    }
}
