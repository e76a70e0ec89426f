package io.gapnet.cli;

import io.gapnet.image.Preprocessing;
import picocli.CommandLine.Option;

/** The image preprocessing options shared by classify, embed, explain and serve. */
final class PreprocessOptions {
    @Option(names = "--resize", description = "shorter side after resizing (default: ${DEFAULT-VALUE})")
    int resize = 256;

    @Option(names = "--crop", description = "centre crop size (default: ${DEFAULT-VALUE})")
    int crop = 224;

    @Option(names = "--pixel-range", description = "1: scale pixels to 0..1; 255: keep 0..255 (default: ${DEFAULT-VALUE})")
    int pixelRange = 1;

    @Option(names = "--mean", split = ",", description = "per-channel mean (default: 0.485,0.456,0.406)")
    float[] mean = {0.485f, 0.456f, 0.406f};

    @Option(names = "--std", split = ",", description = "per-channel std (default: 0.229,0.224,0.225)")
    float[] std = {0.229f, 0.224f, 0.225f};

    @Option(names = "--bgr", description = "feed channels in B,G,R order")
    boolean bgr;

    @Option(names = "--grayscale", description = "feed one luma channel")
    boolean grayscale;

    /** The options as a Preprocessing, which checks every value (--std 0, a negative --crop...) with a message. */
    Preprocessing build() {
        return new Preprocessing(resize, crop, pixelRange, mean, std, bgr, grayscale);
    }
}
