package io.gapnet.image;

import io.gapnet.ImageTooLargeException;
import io.gapnet.InvalidImageException;
import io.gapnet.Limits;
import io.gapnet.tensor.Tensor;
import java.awt.image.BufferedImage;
import java.awt.image.Raster;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;

/**
 * Decodes PNG and JPEG images and turns them into NCHW float tensors: planes of 0..255 values, resized
 * with an antialiasing triangle filter (as PIL and torchvision's antialiased resize do), centre-cropped,
 * scaled and normalised.
 */
public final class Images {
    private Images() {}

    /** The decoded pixels as float planes [channels][h*w] with values 0..255 (1 channel for gray, else 3: R, G, B). */
    public record Planes(int width, int height, float[][] data) {}

    public static Planes decode(Path file) {
        try (InputStream in = Files.newInputStream(file)) {
            return decode(in, file.toString());
        } catch (IOException e) {
            throw new InvalidImageException("cannot read image " + file + ": " + e.getMessage(), e);
        }
    }

    /**
     * Decodes an image. The declared size is read from the header and checked against {@link Limits} before
     * any pixel is decoded, so a decompression bomb (a small file declaring a huge image) is refused cheaply.
     */
    public static Planes decode(InputStream in, String name) {
        byte[] bytes;
        try {
            bytes = in.readAllBytes();
        } catch (IOException e) {
            throw new InvalidImageException("cannot read image " + name + ": " + e.getMessage(), e);
        }
        return decode(bytes, name);
    }

    /**
     * The width and height an image's header declares, read without decoding a pixel (and checked against {@link
     * Limits}): what a server needs to budget memory before it decodes.
     */
    public static int[] declaredSize(byte[] bytes, String name) {
        return withReader(bytes, name, (reader, w, h) -> new int[] {w, h});
    }

    /** Decodes image bytes already in memory (see {@link #decode(InputStream, String)}). */
    public static Planes decode(byte[] bytes, String name) {
        return Exif.apply(decodePixels(bytes, name), Exif.orientation(bytes));
    }

    /** Decoder warnings that mean the pixel data is damaged (libjpeg's and the PNG reader's wording). */
    private static final java.util.regex.Pattern DAMAGE = java.util.regex.Pattern.compile(
            "(?i)premature|truncat|corrupt|huffman|unexpected end|bad data|invalid (jpeg|data|marker)|missing|crc");

    /** What to do with an image reader whose input is set and whose declared size passed {@link #checkSize}. */
    private interface ReaderTask<T> {
        T run(ImageReader reader, int width, int height) throws IOException;
    }

    /**
     * Runs {@code task} on the reader ImageIO picks for the bytes, after checking the size the header declares;
     * whatever goes wrong in the decoder becomes an {@link InvalidImageException} that names the image.
     */
    private static <T> T withReader(byte[] bytes, String name, ReaderTask<T> task) {
        try (ImageInputStream iis = ImageIO.createImageInputStream(new java.io.ByteArrayInputStream(bytes))) {
            Iterator<ImageReader> readers = iis == null ? null : ImageIO.getImageReaders(iis);
            if (readers == null || !readers.hasNext()) {
                throw new InvalidImageException("cannot decode image " + name + ": not a PNG or JPEG image");
            }
            ImageReader reader = readers.next();
            try {
                reader.setInput(iis, true, true);
                int w = reader.getWidth(0), h = reader.getHeight(0);
                checkSize(name, w, h);
                return task.run(reader, w, h);
            } finally {
                reader.dispose();
            }
        } catch (InvalidImageException e) {
            throw e;
        } catch (IOException | RuntimeException e) {
            throw new InvalidImageException("cannot decode image " + name + ": " + e.getMessage()
                    + " (corrupt, truncated, or not a PNG or JPEG file)", e);
        } catch (OutOfMemoryError e) {
            throw new InvalidImageException("cannot decode image " + name + ": out of memory while decoding; lower"
                    + " gapnet.limits.maxImagePixels or raise -Xmx", e);
        }
    }

    private static Planes decodePixels(byte[] bytes, String name) {
        BufferedImage img = withReader(bytes, name, (reader, w, h) -> {
            // decoders report a truncated or corrupt stream (a JPEG's premature end, a bad Huffman code) as a warning,
            // not an error; other warnings (a CMYK JPEG without an ICC profile, a profile's rendering intent) are not
            // about the pixels' integrity and leave the image usable
            java.util.List<String> damage = new java.util.ArrayList<>();
            reader.addIIOReadWarningListener((source, warning) -> {
                if (DAMAGE.matcher(warning).find()) damage.add(warning);
            });
            BufferedImage read = reader.read(0);
            if (!damage.isEmpty()) throw new InvalidImageException("image " + name + " is truncated or corrupt: " + damage.get(0));
            return read;
        });
        if (img == null) throw new InvalidImageException("cannot decode image " + name + ": not a PNG or JPEG image");
        return planes(img, name);
    }

    /**
     * The pixels of an image already decoded (by a caller's own ImageIO, say) as planes, checked against {@link
     * Limits} like a decoded file; no EXIF orientation is applied (a BufferedImage has none).
     */
    public static Planes planes(BufferedImage img, String name) {
        if (img == null) throw new InvalidImageException("image " + name + " is null");
        checkSize(name, img.getWidth(), img.getHeight());
        int w = img.getWidth(), h = img.getHeight();
        Raster r = img.getRaster();
        int bands = r.getNumBands();
        if (bands == 0) throw new InvalidImageException("image " + name + " has no colour bands");
        boolean gray = img.getColorModel().getColorSpace().getNumComponents() == 1;
        float[][] planes;
        int type = r.getDataBuffer().getDataType();
        boolean floating = type == java.awt.image.DataBuffer.TYPE_FLOAT || type == java.awt.image.DataBuffer.TYPE_DOUBLE;
        if (floating) {
            // float samples (a float TIFF, say) hold 0..1; a NaN or an infinity would reach the model as is
            for (int b = 0; b < bands; b++) {
                for (int y = 0; y < h; y++) {
                    for (int x = 0; x < w; x++) {
                        if (!Double.isFinite(r.getSampleDouble(x, y, b))) {
                            throw new InvalidImageException("image " + name + " holds a non-finite sample at (" + x + ", " + y
                                    + "); its pixels must be numbers");
                        }
                    }
                }
            }
        }
        if (gray) {
            // read gray samples directly: getRGB would push them through a colour-space conversion
            planes = new float[1][w * h];
            int bits = img.getColorModel().getComponentSize(0);
            if (!floating && (bits < 1 || bits > 32)) {
                throw new InvalidImageException("image " + name + " has " + bits + "-bit gray samples; 1 to 32 bits are supported");
            }
            // every depth to 0..255: 255 / (2^bits - 1) for integers (a 32-bit sample is unsigned), 255 for floats in 0..1
            double scale = floating ? 255 : 255.0 / ((1L << bits) - 1);
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    double v = floating ? r.getSampleDouble(x, y, 0)
                            : bits == 32 ? Integer.toUnsignedLong(r.getSample(x, y, 0)) : r.getSample(x, y, 0);
                    planes[0][y * w + x] = (float) (v * scale);
                }
            }
        } else {
            planes = new float[3][w * h];
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    int argb = img.getRGB(x, y);
                    planes[0][y * w + x] = (argb >> 16) & 0xff;
                    planes[1][y * w + x] = (argb >> 8) & 0xff;
                    planes[2][y * w + x] = argb & 0xff;
                }
            }
        }
        return new Planes(w, h, planes);
    }

    private static void checkSize(String name, int w, int h) {
        Limits limits = Limits.current();
        if (w <= 0 || h <= 0) throw new InvalidImageException("image " + name + " is empty (" + w + "x" + h + ")");
        if (w > limits.maxImageSide() || h > limits.maxImageSide() || (long) w * h > limits.maxImagePixels()) {
            throw new ImageTooLargeException("image " + name + " declares " + w + "x" + h + " pixels, more than the limits"
                    + " (gapnet.limits.maxImageSide " + limits.maxImageSide() + ", gapnet.limits.maxImagePixels "
                    + limits.maxImagePixels() + "); refused before decoding");
        }
    }

    /** Decodes and preprocesses an image file into a [1, C, H, W] tensor. */
    public static Tensor load(Path file, Preprocessing p) {
        return toTensor(decode(file), p);
    }

    public static Tensor toTensor(Planes img, Preprocessing p) {
        Planes sized = resizeAndCrop(img, p);
        float[][] planes = sized.data();
        int cw = sized.width(), ch = sized.height();
        int channels = planes.length;
        float[] out = new float[channels * cw * ch];
        float scale = p.pixelRange() == 255 ? 1f : 1f / 255f;
        for (int c = 0; c < channels; c++) {
            float mean = p.mean(c), std = p.std(c);
            for (int i = 0; i < cw * ch; i++) out[c * ch * cw + i] = (planes[c][i] * scale - mean) / std;
        }
        return Tensor.of(out, 1, channels, ch, cw);
    }

    /**
     * The image in the channels the preprocessing asks for, resized (shorter side) and centre-cropped; values 0..255.
     * Only the crop is computed, so its cost is bounded by the crop however long the image's longer side; without a
     * crop the whole resized image must fit {@link Limits#maxImagePixels()}.
     */
    public static Planes resizeAndCrop(Planes img, Preprocessing p) {
        float[][] planes = channels(img.data(), p);
        int w = img.width(), h = img.height();
        long[] size = outputSize(w, h, p);
        long nw = size[0], nh = size[1], cw = size[2], ch = size[3];
        int x0 = (int) Math.round((nw - cw) / 2.0), y0 = (int) Math.round((nh - ch) / 2.0);
        float[][] out = new float[planes.length][];
        for (int c = 0; c < planes.length; c++) {
            out[c] = nw == w && nh == h && cw == w && ch == h ? planes[c]
                    : nw == w && nh == h ? crop(planes[c], w, x0, y0, (int) cw, (int) ch)
                    : Resize.window(planes[c], w, h, nw, nh, x0, y0, (int) cw, (int) ch);
        }
        return new Planes((int) cw, (int) ch, out);
    }

    /**
     * The part of a {@code w} x {@code h} image that {@link #resizeAndCrop} keeps, in the image's own pixels:
     * {x, y, width, height}.
     */
    public static double[] cropWindow(int w, int h, Preprocessing p) {
        long[] size = outputSize(w, h, p);
        long nw = size[0], nh = size[1], cw = size[2], ch = size[3];
        double sx = (double) w / nw, sy = (double) h / nh;
        long x0 = Math.round((nw - cw) / 2.0), y0 = Math.round((nh - ch) / 2.0);
        return new double[] {x0 * sx, y0 * sy, cw * sx, ch * sy};
    }

    /**
     * The most pixels one image costs in {@link #toTensor}: its own (decoded) or its resized and cropped output's,
     * whichever is more. A server budgets decoding memory with it from the header, before decoding a pixel.
     *
     * @throws ImageTooLargeException if the output would not fit {@link Limits#maxImagePixels()}
     */
    public static long workPixels(int w, int h, Preprocessing p) {
        long[] size = outputSize(w, h, p);
        return Math.max((long) w * h, size[2] * size[3]);
    }

    /** The resized width and height and the cropped width and height, in long, checked against the limits. */
    private static long[] outputSize(int w, int h, Preprocessing p) {
        long nw = w, nh = h;
        if (p.width() > 0) {
            nw = p.width();
            nh = p.height();
        } else if (p.resize() > 0) {
            // the shorter side becomes resize(), the longer keeps the aspect ratio (in long: the product of the two
            // sides can overflow int)
            if (w <= h) {
                nw = p.resize();
                nh = Math.max(1, (long) p.resize() * h / w);
            } else {
                nh = p.resize();
                nw = Math.max(1, (long) p.resize() * w / h);
            }
        }
        long cw = p.crop() > 0 ? Math.min(p.crop(), nw) : nw, ch = p.crop() > 0 ? Math.min(p.crop(), nh) : nh;
        long max = Limits.current().maxImagePixels();
        if (cw * ch > max || nw > Integer.MAX_VALUE || nh > Integer.MAX_VALUE) {
            throw new ImageTooLargeException("image of " + w + "x" + h + " pixels resized to " + nw + "x" + nh + " would be "
                    + cw * ch + " pixels" + (p.crop() > 0 ? " after the crop" : "") + ", more than gapnet.limits.maxImagePixels ("
                    + max + "); use a centre crop or a smaller resize");
        }
        return new long[] {nw, nh, cw, ch};
    }

    private static float[] crop(float[] plane, int w, int x0, int y0, int cw, int ch) {
        float[] out = new float[cw * ch];
        for (int y = 0; y < ch; y++) System.arraycopy(plane, (y + y0) * w + x0, out, y * cw, cw);
        return out;
    }

    /** Bilinear resampling of one plane (for heatmaps; images use the antialiasing {@link Resize}). */
    public static float[] resize(float[] plane, int w, int h, int nw, int nh) {
        return Resize.resize(plane, w, h, nw, nh);
    }

    /** Converts decoded planes to the channels the model wants (luma for grayscale, B-G-R order for bgr). */
    private static float[][] channels(float[][] data, Preprocessing p) {
        int n = data[0].length;
        if (p.grayscale()) {
            if (data.length == 1) return new float[][] {data[0].clone()};
            float[] luma = new float[n];
            for (int i = 0; i < n; i++) luma[i] = 0.299f * data[0][i] + 0.587f * data[1][i] + 0.114f * data[2][i];
            return new float[][] {luma};
        }
        float[][] rgb = data.length == 3 ? new float[][] {data[0].clone(), data[1].clone(), data[2].clone()}
                : new float[][] {data[0].clone(), data[0].clone(), data[0].clone()};
        if (p.bgr()) {
            float[] t = rgb[0];
            rgb[0] = rgb[2];
            rgb[2] = t;
        }
        return rgb;
    }
}
