package io.cdcbridge.util;

import org.apache.camel.CamelContext;
import org.apache.camel.main.BaseMainSupport;
import org.apache.camel.main.Main;
import org.apache.camel.main.MainListenerSupport;

/**
 * One concern of the running bridge (dead letters, capture, the sinks' beans, the route files, Camel itself,
 * operations): what it adds to camel-main before Camel starts, and what it releases when the bridge stops.
 * {@link Bridge} holds the modules in one list, installs them in that order and closes them in reverse.
 */
@FunctionalInterface
public interface Module extends AutoCloseable {

    /** Wires this concern into camel-main: beans, route builders, services, listeners. Camel has not started yet. */
    void install(Main main) throws Exception;

    /**
     * Releases what {@link #install} acquired. Called once, also when install failed half-way (so it must cope with
     * what was never created), and it does not throw: one module's failure to stop must not keep the next from it.
     */
    @Override
    default void close() {
    }

    /** What a module does once Camel's context exists, before the routes are configured. */
    @FunctionalInterface
    interface ContextAction {
        void accept(CamelContext context) throws Exception;
    }

    /**
     * Runs {@code action} once camel-main has created its context and before it configures the routes (both run
     * paths, {@code start} and {@code run}, pass there): the place for services, route policies and beans the route
     * files refer to. A checked failure surfaces as {@code "<what>: <message>"}.
     */
    static void whenContextCreated(Main main, String what, ContextAction action) {
        main.addMainListener(new MainListenerSupport() {
            @Override
            public void beforeConfigure(BaseMainSupport m) {
                try {
                    action.accept(m.getCamelContext());
                } catch (RuntimeException e) {
                    throw e;
                } catch (Exception e) {
                    throw new IllegalStateException(what + ": " + e.getMessage(), e);
                }
            }
        });
    }
}
