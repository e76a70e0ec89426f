package io.gapnet;

/**
 * An image refused for its size, not its content: it declares, or would grow to, more pixels than the limits allow
 * (a server answers 413 for it, 400 for other invalid images).
 */
public class ImageTooLargeException extends InvalidImageException {
    public ImageTooLargeException(String message) {
        super(message);
    }
}
