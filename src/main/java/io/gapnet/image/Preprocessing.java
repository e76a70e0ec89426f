package io.gapnet.image;

import io.gapnet.GapnetException;
import java.util.Arrays;
import java.util.Locale;

/**
 * How an image becomes model input, in this order: convert the channels (RGB, BGR or one luma channel), resize
 * (the shorter side to a length keeping the aspect ratio, or to an exact width and height, or not at all),
 * centre-crop a square, scale the pixel values (0..1 or raw 0..255), then subtract a per-channel mean and divide by a
 * per-channel standard deviation. Immutable; build one with {@link #builder()} or start from a preset:
 *
 * <pre>{@code
 * Preprocessing p = Preprocessing.builder().resizeShorter(256).centerCrop(224)
 *         .mean(0.485f, 0.456f, 0.406f).std(0.229f, 0.224f, 0.225f).build();   // the same as imagenet()
 * Preprocessing q = Preprocessing.imagenet().toBuilder().resize(299, 299).noCrop().build();
 * }</pre>
 */
public final class Preprocessing implements java.io.Serializable {
    private static final long serialVersionUID = 1L;

    /** The channels the model takes, in order. */
    public enum Channels {
        /** Red, green, blue (torchvision, Keras "torch" and "tf" modes). */
        RGB,
        /** Blue, green, red (Caffe and OpenCV-trained models). */
        BGR,
        /** One luma channel, 0.299 R + 0.587 G + 0.114 B (MNIST-style models). */
        GRAY
    }

    private final int resize;
    private final int width;
    private final int height;
    private final int crop;
    private final int pixelRange;
    private final float[] mean;
    private final float[] std;
    private final Channels channels;

    private Preprocessing(Builder b) {
        int n = b.channels == Channels.GRAY ? 1 : 3;
        if (b.resize < 0) throw new GapnetException("preprocessing: resize must be 0 (keep the size) or more, not " + b.resize);
        if (b.width < 0 || b.height < 0 || (b.width == 0) != (b.height == 0)) {
            throw new GapnetException("preprocessing: an exact resize needs a positive width and height, not " + b.width + "x"
                    + b.height);
        }
        if (b.crop < 0) throw new GapnetException("preprocessing: crop must be 0 (no crop) or more, not " + b.crop);
        if (b.pixelRange != 1 && b.pixelRange != 255) {
            throw new GapnetException("preprocessing: the pixel range must be 1 (0..1) or 255 (0..255), not " + b.pixelRange);
        }
        if (b.mean == null || b.std == null || (b.mean.length != 1 && b.mean.length != n) || (b.std.length != 1 && b.std.length != n)) {
            throw new GapnetException("preprocessing: mean and std need 1 or " + n + " values each for " + b.channels
                    + " input, not " + (b.mean == null ? 0 : b.mean.length) + " and " + (b.std == null ? 0 : b.std.length));
        }
        for (float m : b.mean) {
            if (!Float.isFinite(m)) throw new GapnetException("preprocessing: mean " + m + " is not a finite number");
        }
        for (float v : b.std) {
            // a std of 0 would divide every pixel by zero and quietly feed the model infinities
            if (!(v > 0) || !Float.isFinite(v)) {
                throw new GapnetException("preprocessing: std " + v + " must be a positive finite number (it divides every pixel)");
            }
        }
        this.resize = b.width > 0 ? 0 : b.resize;
        this.width = b.width;
        this.height = b.height;
        this.crop = b.crop;
        this.pixelRange = b.pixelRange;
        this.mean = b.mean.clone();
        this.std = b.std.clone();
        this.channels = b.channels;
    }

    /** A builder that starts with no resize, no crop, RGB, pixels in 0..1, mean 0 and std 1. */
    public static Builder builder() {
        return new Builder();
    }

    /** A builder that starts from this preprocessing. */
    public Builder toBuilder() {
        Builder b = new Builder();
        b.resize = resize;
        b.width = width;
        b.height = height;
        b.crop = crop;
        b.pixelRange = pixelRange;
        b.mean = mean.clone();
        b.std = std.clone();
        b.channels = channels;
        return b;
    }

    /** torchvision's evaluation transform: shorter side 256, centre crop 224, RGB in 0..1, ImageNet mean and std. */
    public static Preprocessing imagenet() {
        return builder().resizeShorter(256).centerCrop(224).mean(0.485f, 0.456f, 0.406f).std(0.229f, 0.224f, 0.225f).build();
    }

    /** Caffe-style models (Keras "caffe" mode): shorter side 256, crop 224, BGR in 0..255 minus the BGR ImageNet mean. */
    public static Preprocessing caffe() {
        return builder().resizeShorter(256).centerCrop(224).channels(Channels.BGR).pixelRange(255)
                .mean(103.939f, 116.779f, 123.68f).build();
    }

    /** Inception-style models (Keras "tf" mode): resized to 299x299 without a crop, RGB scaled to -1..1. */
    public static Preprocessing inception() {
        return builder().resize(299, 299).mean(0.5f).std(0.5f).build();
    }

    /** The pixels as they are, RGB in 0..255, no resize, crop or normalisation. */
    public static Preprocessing rawRgb255() {
        return builder().pixelRange(255).build();
    }

    /** The pixels as they are, BGR in 0..255, no resize, crop or normalisation. */
    public static Preprocessing rawBgr255() {
        return builder().channels(Channels.BGR).pixelRange(255).build();
    }

    /** MNIST-style digit models: one luma channel resized to 28x28, raw 0..255. */
    public static Preprocessing mnist() {
        return builder().channels(Channels.GRAY).resize(28, 28).pixelRange(255).build();
    }

    /** A preset by name: imagenet, caffe, inception, raw-rgb255, raw-bgr255 or mnist. */
    public static Preprocessing preset(String name) {
        return switch (name.toLowerCase(Locale.ROOT)) {
            case "imagenet" -> imagenet();
            case "caffe" -> caffe();
            case "inception" -> inception();
            case "raw-rgb255" -> rawRgb255();
            case "raw-bgr255" -> rawBgr255();
            case "mnist" -> mnist();
            default -> throw new GapnetException("preprocessing preset '" + name + "' is not one of imagenet, caffe, inception,"
                    + " raw-rgb255, raw-bgr255, mnist");
        };
    }

    /** Target length of the shorter side (0: no shorter-side resize). */
    public int resize() {
        return resize;
    }

    /** Exact width after resizing (0: no exact resize). */
    public int width() {
        return width;
    }

    /** Exact height after resizing (0: no exact resize). */
    public int height() {
        return height;
    }

    /** Side of the centred square crop (0: no crop). */
    public int crop() {
        return crop;
    }

    /** 1 when 0..255 is scaled to 0..1, 255 when pixel values stay 0..255. */
    public int pixelRange() {
        return pixelRange;
    }

    /** The per-channel means (one value applies to every channel). */
    public float[] mean() {
        return mean.clone();
    }

    /** The per-channel standard deviations (one value applies to every channel). */
    public float[] std() {
        return std.clone();
    }

    /** The channel order. */
    public Channels channelOrder() {
        return channels;
    }

    /** Whether channels are fed in B, G, R order. */
    public boolean bgr() {
        return channels == Channels.BGR;
    }

    /** Whether one luma channel is fed. */
    public boolean grayscale() {
        return channels == Channels.GRAY;
    }

    /** The number of channels of the tensor this produces (1 or 3). */
    public int channels() {
        return channels == Channels.GRAY ? 1 : 3;
    }

    /**
     * The [1, C, H, W] shape every image gets when the size is fixed (a crop, or an exact resize), or null when it
     * follows the image (a shorter-side resize without a crop, or none). A crop larger than the image keeps the
     * image's side, so with a crop the shape is the crop's for every image at least that large.
     */
    public int[] inputShape() {
        int w = width > 0 ? width : crop, h = height > 0 ? height : crop;
        if (w <= 0 || h <= 0 || (width == 0 && resize > 0 && crop > resize)) return null; // the crop is cut short
        if (crop > 0) {
            w = Math.min(w, crop);
            h = Math.min(h, crop);
        }
        return new int[] {1, channels(), h, w};
    }

    float mean(int c) {
        return mean.length == 1 ? mean[0] : mean[c];
    }

    float std(int c) {
        return std.length == 1 ? std[0] : std[c];
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Preprocessing p && resize == p.resize && width == p.width && height == p.height && crop == p.crop
                && pixelRange == p.pixelRange && Arrays.equals(mean, p.mean) && Arrays.equals(std, p.std) && channels == p.channels;
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(new int[] {resize, width, height, crop, pixelRange, Arrays.hashCode(mean), Arrays.hashCode(std),
            channels.ordinal()});
    }

    /** The steps in words, such as {@code resize shorter side 256, crop 224, RGB 0..1, mean [..], std [..]}. */
    @Override
    public String toString() {
        String size = width > 0 ? "resize to " + width + "x" + height : resize > 0 ? "resize shorter side " + resize : "no resize";
        return String.format(Locale.ROOT, "%s, %s, %s %s, mean %s, std %s", size, crop > 0 ? "crop " + crop : "no crop", channels,
                pixelRange == 1 ? "0..1" : "0..255", Arrays.toString(mean), Arrays.toString(std));
    }

    /** Builds a {@link Preprocessing}; every value is checked by {@link #build()}, with a message naming it. */
    public static final class Builder {
        private int resize;
        private int width;
        private int height;
        private int crop;
        private int pixelRange = 1;
        private float[] mean = {0f};
        private float[] std = {1f};
        private Channels channels = Channels.RGB;

        private Builder() {}

        /** Resizes so that the shorter side is {@code side} pixels, keeping the aspect ratio. */
        public Builder resizeShorter(int side) {
            this.resize = side;
            this.width = 0;
            this.height = 0;
            return this;
        }

        /** Resizes to exactly {@code width} x {@code height}, ignoring the aspect ratio. */
        public Builder resize(int width, int height) {
            this.width = width;
            this.height = height;
            this.resize = 0;
            return this;
        }

        /** Keeps the decoded size. */
        public Builder noResize() {
            this.resize = 0;
            this.width = 0;
            this.height = 0;
            return this;
        }

        /** Cuts the centred {@code side} x {@code side} square after resizing. */
        public Builder centerCrop(int side) {
            this.crop = side;
            return this;
        }

        /** No crop. */
        public Builder noCrop() {
            this.crop = 0;
            return this;
        }

        /** The channel order. */
        public Builder channels(Channels order) {
            this.channels = java.util.Objects.requireNonNull(order, "order");
            return this;
        }

        /** 1: pixel values scaled to 0..1 (the default); 255: kept as 0..255. */
        public Builder pixelRange(int range) {
            this.pixelRange = range;
            return this;
        }

        /** Per-channel means subtracted after scaling (one value for every channel, or one per channel). */
        public Builder mean(float... mean) {
            this.mean = mean == null ? null : mean.clone();
            return this;
        }

        /** Per-channel standard deviations divided by after the mean (one value, or one per channel). */
        public Builder std(float... std) {
            this.std = std == null ? null : std.clone();
            return this;
        }

        /** The preprocessing; a {@link GapnetException} names the first bad value. */
        public Preprocessing build() {
            return new Preprocessing(this);
        }
    }
}
