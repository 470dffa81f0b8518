package io.cdcbridge.support;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.List;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.ThrowableProxy;
import ch.qos.logback.core.read.ListAppender;
import org.slf4j.LoggerFactory;

/**
 * Every log event of this JVM while open (root logger), for assertions about what the bridge logs: a secret in no
 * line, one clear line for a refusal, no stack traces. Close it to detach.
 */
public final class LogCapture implements AutoCloseable {

    private final Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    private final ListAppender<ILoggingEvent> appender = new ListAppender<>();
    private final java.util.Map<Logger, Level> restore = new java.util.LinkedHashMap<>();

    private LogCapture() {
        appender.start();
        root.addAppender(appender);
    }

    public static LogCapture start() {
        return new LogCapture();
    }

    /**
     * Lowers these loggers to INFO while the capture is open (the shipped logback.xml keeps Kafka's and Debezium's at
     * WARN): their client-configuration dumps are where a secret would show first.
     */
    public LogCapture verbose(String... loggers) {
        for (String name : loggers) {
            Logger l = (Logger) LoggerFactory.getLogger(name);
            restore.put(l, l.getLevel());
            l.setLevel(Level.INFO);
        }
        return this;
    }

    /** The events so far. */
    public List<ILoggingEvent> events() {
        // the appender appends under its own monitor (AppenderBase.doAppend)
        synchronized (appender) {
            return new ArrayList<>(appender.list);
        }
    }

    /** Each event as text: level, logger, message, and its stack trace if it has one. */
    public List<String> lines() {
        List<String> out = new ArrayList<>();
        for (ILoggingEvent e : events()) {
            StringBuilder b = new StringBuilder().append(e.getLevel()).append(' ').append(e.getLoggerName()).append(' ')
                    .append(e.getFormattedMessage());
            if (e.getThrowableProxy() instanceof ThrowableProxy p) {
                StringWriter w = new StringWriter();
                p.getThrowable().printStackTrace(new PrintWriter(w));
                b.append('\n').append(w);
            }
            out.add(b.toString());
        }
        return out;
    }

    @Override
    public void close() {
        restore.forEach(Logger::setLevel);
        root.detachAppender(appender);
        appender.stop();
    }
}
