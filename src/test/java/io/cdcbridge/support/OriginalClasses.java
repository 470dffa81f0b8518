package io.cdcbridge.support;

import java.net.URL;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A class loader that defines the library's original of patched classes (src/patches/java) from their jar, and
 * delegates every other class to the test class path: a behavioural test of a patch can call the original it
 * replaces, side by side with ours, and compare (docs/overrides.md).
 */
public final class OriginalClasses extends ClassLoader {

    private final Map<String, byte[]> originals = new ConcurrentHashMap<>();

    /** @param classNames binary names ({@code a.b.Outer$Inner}) of patched classes, loaded from their library's jar */
    public OriginalClasses(String... classNames) {
        super(OriginalClasses.class.getClassLoader());
        for (String name : classNames) {
            List<URL> inJars = PatchedClasses.inJars(name.replace('.', '/') + ".class");
            if (inJars.size() != 1) {
                throw new IllegalStateException("expected one original of " + name + " in the jars, found " + inJars);
            }
            originals.put(name, PatchedClasses.bytes(inJars.get(0)));
        }
    }

    @Override
    protected Class<?> loadClass(String name, boolean resolve) throws ClassNotFoundException {
        byte[] bytes = originals.get(name);
        if (bytes == null) {
            return super.loadClass(name, resolve);
        }
        synchronized (getClassLoadingLock(name)) {
            Class<?> c = findLoadedClass(name);
            if (c == null) {
                c = defineClass(name, bytes, 0, bytes.length);
            }
            return c;
        }
    }
}
