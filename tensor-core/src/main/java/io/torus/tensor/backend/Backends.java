package io.torus.tensor.backend;

import io.torus.tensor.Device;

import java.util.EnumMap;
import java.util.Map;
import java.util.ServiceLoader;

/** Finds the backend for a device type once, through {@link ServiceLoader}. */
public final class Backends {
    private static final Map<Device.Type, Backend> BY_TYPE = load();

    private Backends() {
    }

    private static Map<Device.Type, Backend> load() {
        Map<Device.Type, Backend> map = new EnumMap<>(Device.Type.class);
        for (Backend b : ServiceLoader.load(Backend.class, Backends.class.getClassLoader())) {
            map.putIfAbsent(b.deviceType(), b);
        }
        return map;
    }

    public static Backend forDevice(Device device) {
        Backend b = BY_TYPE.get(device.type());
        if (b == null) {
            throw new IllegalStateException("no backend for device " + device + " (available: " + BY_TYPE.keySet() + ")");
        }
        return b;
    }
}
