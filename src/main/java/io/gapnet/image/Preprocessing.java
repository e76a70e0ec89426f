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
