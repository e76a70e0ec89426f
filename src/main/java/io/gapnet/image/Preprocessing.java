package io.gapnet.image;

/**
 * How an image becomes model input: resize the shorter side, centre-crop, scale pixel values, normalise
 * per channel, and choose the channel layout. {@link #imagenet()} is torchvision's usual evaluation
 * transform (shorter side 256, crop 224, RGB in 0..1, ImageNet mean and std).
 *
 * @param resize target length of the shorter side (0: keep the size)
 * @param crop side of the centred square crop (0: no crop)
 * @param pixelRange 1 to scale 0..255 to 0..1, 255 to keep raw values
 * @param mean per-channel mean subtracted after scaling (one value applies to every channel)
 * @param std per-channel standard deviation divided by
 * @param bgr channels in B, G, R order instead of R, G, B
 * @param grayscale one luma channel instead of three colour channels
 */
public record Preprocessing(int resize, int crop, int pixelRange, float[] mean, float[] std, boolean bgr, boolean grayscale) {

    /** Every parameter checked: a std of 0 would divide every pixel by zero and quietly feed the model infinities. */
    public Preprocessing {
        int channels = grayscale ? 1 : 3;
        if (resize < 0) throw new io.gapnet.GapnetException("preprocessing: resize must be 0 (keep the size) or more, not " + resize);
        if (crop < 0) throw new io.gapnet.GapnetException("preprocessing: crop must be 0 (no crop) or more, not " + crop);
        if (pixelRange != 1 && pixelRange != 255) {
            throw new io.gapnet.GapnetException("preprocessing: the pixel range must be 1 (0..1) or 255 (0..255), not " + pixelRange);
        }
        if (mean == null || std == null || (mean.length != 1 && mean.length != channels) || (std.length != 1 && std.length != channels)) {
            throw new io.gapnet.GapnetException("preprocessing: mean and std need 1 or " + channels + " values each");
        }
        for (float m : mean) {
            if (!Float.isFinite(m)) throw new io.gapnet.GapnetException("preprocessing: mean " + m + " is not a finite number");
        }
        for (float v : std) {
            if (!(v > 0) || !Float.isFinite(v)) {
                throw new io.gapnet.GapnetException("preprocessing: std " + v + " must be a positive finite number (it divides"
                        + " every pixel)");
            }
        }
        mean = mean.clone();
        std = std.clone();
    }

    public static Preprocessing imagenet() {
        return new Preprocessing(256, 224, 1, new float[] {0.485f, 0.456f, 0.406f}, new float[] {0.229f, 0.224f, 0.225f},
                false, false);
    }

    public int channels() {
        return grayscale ? 1 : 3;
    }

    float mean(int c) {
        return mean.length == 1 ? mean[0] : mean[c];
    }

    float std(int c) {
        return std.length == 1 ? std[0] : std[c];
    }
}
