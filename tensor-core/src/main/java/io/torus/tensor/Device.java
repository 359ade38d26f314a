package io.torus.tensor;

/** Where a tensor's storage lives: the CPU or one CUDA device. */
public record Device(Type type, int index) {

    public enum Type { CPU, CUDA }

    public static final Device CPU = new Device(Type.CPU, -1);

    public Device {
        if (type == Type.CUDA && index < 0) {
            throw new IllegalArgumentException("cuda device index " + index + ": expected >= 0");
        }
        if (type == Type.CPU && index != -1) {
            throw new IllegalArgumentException("cpu device index " + index + ": the CPU has no index");
        }
    }

    public static Device cuda(int index) {
        return new Device(Type.CUDA, index);
    }

    /** Parses {@code cpu}, {@code cuda} (device 0) or {@code cuda:N}. */
    public static Device parse(String spec) {
        String s = spec == null ? "" : spec.trim().toLowerCase();
        if (s.equals("cpu")) {
            return CPU;
        }
        if (s.equals("cuda")) {
            return cuda(0);
        }
        if (s.startsWith("cuda:")) {
            try {
                return cuda(Integer.parseInt(s.substring(5)));
            } catch (NumberFormatException e) {
                // fall through to the error below
            }
        }
        throw new IllegalArgumentException("device '" + spec + "': expected cpu, cuda or cuda:N");
    }

    public boolean isCuda() {
        return type == Type.CUDA;
    }

    @Override
    public String toString() {
        return type == Type.CPU ? "cpu" : "cuda:" + index;
    }
}
