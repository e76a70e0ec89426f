package io.gapnet.cli;

import io.gapnet.GapnetException;
import io.gapnet.image.Preprocessing;
import java.util.Locale;
import picocli.CommandLine.Option;

/**
 * The image preprocessing options shared by classify, embed, explain and serve. Each option left out keeps the
 * value of the base: the model's own preprocessing for a zoo model, else the --preset (imagenet by default).
 */
final class PreprocessOptions {
    @Option(names = "--preset", paramLabel = "NAME", description = "Start from a named preprocessing: imagenet, caffe,"
            + " inception, raw-rgb255, raw-bgr255 or mnist (default: the model's own for zoo models, else imagenet).")
    String preset;

    @Option(names = "--resize", paramLabel = "PIXELS", description = "Resize the shorter side to this length, keeping the"
            + " aspect ratio; 0 keeps the size (default: 256).")
    Integer resize;

    @Option(names = "--resize-to", paramLabel = "WxH", description = "Resize to exactly this width and height, ignoring the"
            + " aspect ratio (default: none).")
    String resizeTo;

    @Option(names = "--crop", paramLabel = "PIXELS", description = "Cut the centred square of this side after resizing; 0 for"
            + " no crop (default: 224).")
    Integer crop;

    @Option(names = "--pixel-range", paramLabel = "1|255", description = "Scale pixels to 0..1 (1) or keep them 0..255 (255) (default: 1).")
    Integer pixelRange;

    @Option(names = "--mean", split = ",", paramLabel = "M", description = "Per-channel mean, subtracted after scaling"
            + " (default: 0.485,0.456,0.406).")
    float[] mean;

    @Option(names = "--std", split = ",", paramLabel = "S", description = "Per-channel standard deviation, divided by after"
            + " the mean (default: 0.229,0.224,0.225).")
    float[] std;

    @Option(names = "--bgr", description = "Feed the channels in B,G,R order (default: R,G,B).")
    boolean bgr;

    @Option(names = "--grayscale", description = "Feed one luma channel (default: three colour channels).")
    boolean grayscale;

    /** Whether no preprocessing option was given (the model's own, or imagenet, applies). */
    boolean isDefault() {
        return preset == null && resize == null && resizeTo == null && crop == null && pixelRange == null && mean == null
                && std == null && !bgr && !grayscale;
    }

    /** The preprocessing: the preset (or {@code base}, a zoo model's own) with every option given applied on top. */
    Preprocessing build(Preprocessing base) {
        Preprocessing start = preset != null ? Preprocessing.preset(preset) : base != null ? base : Preprocessing.imagenet();
        Preprocessing.Builder b = start.toBuilder();
        if (resize != null) b.resizeShorter(resize);
        if (resizeTo != null) {
            String[] wh = resizeTo.toLowerCase(Locale.ROOT).split("x");
            try {
                if (wh.length != 2) throw new NumberFormatException();
                b.resize(Integer.parseInt(wh[0].trim()), Integer.parseInt(wh[1].trim()));
            } catch (NumberFormatException e) {
                throw new GapnetException("--resize-to " + resizeTo + ": give the width and height as WxH, such as 224x224");
            }
        }
        if (crop != null) b.centerCrop(crop);
        if (pixelRange != null) b.pixelRange(pixelRange);
        if (mean != null) b.mean(mean);
        if (std != null) b.std(std);
        if (bgr && grayscale) throw new GapnetException("--bgr and --grayscale exclude each other: choose one channel layout");
        if (bgr) b.channels(Preprocessing.Channels.BGR);
        if (grayscale) {
            b.channels(Preprocessing.Channels.GRAY);
            // a colour preset's three means and stds do not fit one channel: one value each unless given
            if (mean == null && start.mean().length == 3) b.mean(0f);
            if (std == null && start.std().length == 3) b.std(1f);
        }
        return b.build();
    }
}
