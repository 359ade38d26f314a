package io.torus.tensor.backend.cuda;

/** A device allocation failed for lack of memory, after the cache was emptied and garbage collected. */
public final class OutOfDeviceMemoryException extends IllegalStateException {
    public OutOfDeviceMemoryException(String message) {
        super(message);
    }
}
