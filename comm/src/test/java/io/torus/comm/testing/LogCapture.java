package io.torus.comm.testing;

import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.core.LogEvent;
import org.apache.logging.log4j.core.LoggerContext;
import org.apache.logging.log4j.core.appender.AbstractAppender;
import org.apache.logging.log4j.core.config.Configuration;
import org.apache.logging.log4j.core.config.LoggerConfig;
import org.apache.logging.log4j.core.config.Property;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Collects the WARN and ERROR lines that one logger (and its children) writes while open, so that a
 * test can assert that something was logged. Use with try-with-resources.
 */
public final class LogCapture implements AutoCloseable {
    private final List<String> lines = new CopyOnWriteArrayList<>();
    private final LoggerConfig config;
    private final Appender appender;

    private LogCapture(String loggerName) {
        LoggerContext ctx = (LoggerContext) LogManager.getContext(false);
        Configuration configuration = ctx.getConfiguration();
        LoggerConfig existing = configuration.getLoggerConfig(loggerName);
        if (!existing.getName().equals(loggerName)) {
            // Give the logger its own config, inheriting the level and appenders of its parent.
            existing = new LoggerConfig(loggerName, existing.getLevel(), true);
            configuration.addLogger(loggerName, existing);
        }
        this.config = existing;
        this.appender = new Appender("capture-" + System.identityHashCode(this), lines);
        appender.start();
        config.addAppender(appender, Level.WARN, null);
        ctx.updateLoggers();
    }

    public static LogCapture of(Class<?> logger) {
        return new LogCapture(logger.getName());
    }

    /** The formatted messages captured so far. */
    public List<String> lines() {
        return List.copyOf(lines);
    }

    /** Whether some captured message contains {@code text}. */
    public boolean contains(String text) {
        return lines.stream().anyMatch(l -> l.contains(text));
    }

    @Override
    public void close() {
        config.removeAppender(appender.getName());
        appender.stop();
        ((LoggerContext) LogManager.getContext(false)).updateLoggers();
    }

    private static final class Appender extends AbstractAppender {
        private final List<String> sink;

        Appender(String name, List<String> sink) {
            super(name, null, null, true, Property.EMPTY_ARRAY);
            this.sink = sink;
        }

        @Override
        public void append(LogEvent event) {
            sink.add(event.getMessage().getFormattedMessage());
        }
    }
}
