package io.torus.launcher.agent;

import java.io.PrintStream;

/**
 * The agent's console, shared by the output threads of all workers: whole lines, and on a
 * terminal one status line (a job's progress bar) kept below them. A line printed while a status
 * is shown erases the status, prints the line, and draws the status again under it, so that
 * output of several ranks never lands in the middle of a progress bar. Off a terminal status
 * lines are dropped: a log file or pipe gets only whole lines.
 */
final class AgentConsole {
    /** ANSI: carriage return, then erase to the end of the line. */
    private static final String ERASE = "\r\033[K";

    private final PrintStream out;
    private final boolean terminal;
    private Object owner;
    private String status = "";

    /**
     * @param out      where lines go
     * @param terminal whether {@code out} is a terminal that understands {@code \r} and ANSI erase
     */
    AgentConsole(PrintStream out, boolean terminal) {
        this.out = out;
        this.terminal = terminal;
    }

    boolean terminal() {
        return terminal;
    }

    synchronized void line(String line) {
        if (!status.isEmpty()) {
            out.print(ERASE);
        }
        out.println(line);
        if (!status.isEmpty()) {
            out.print(status);
        }
        out.flush();
    }

    /**
     * Shows {@code text} as {@code owner}'s status line; an empty text clears it, but only when
     * {@code owner} is the one showing it.
     */
    synchronized void status(Object who, String text) {
        if (!terminal || (text.isEmpty() && who != owner)) {
            return;
        }
        if (text.isEmpty() && status.isEmpty()) {
            return;
        }
        out.print(ERASE + text);
        out.flush();
        owner = text.isEmpty() ? null : who;
        status = text;
    }
}
