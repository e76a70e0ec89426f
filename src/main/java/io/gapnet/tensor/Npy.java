package io.gapnet.tensor;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/** Writes float32 arrays in NumPy's .npy format (version 1.0), readable with {@code numpy.load}. */
public final class Npy {
    private Npy() {}

    public static void write(OutputStream out, float[] data, int... shape) throws IOException {
        StringBuilder dims = new StringBuilder();
        for (int d : shape) dims.append(d).append(',');
        if (shape.length > 1) dims.setLength(dims.length() - 1);
        String header = "{'descr': '<f4', 'fortran_order': False, 'shape': (" + dims + "), }";
        int unpadded = 10 + header.length() + 1;
        int total = (unpadded + 63) / 64 * 64; // the data starts 64-byte aligned
        header = header + " ".repeat(total - unpadded) + "\n";
        ByteBuffer pre = ByteBuffer.allocate(10).order(ByteOrder.LITTLE_ENDIAN);
        pre.put((byte) 0x93).put("NUMPY".getBytes(StandardCharsets.US_ASCII)).put((byte) 1).put((byte) 0);
        pre.putShort((short) header.length());
        out.write(pre.array());
        out.write(header.getBytes(StandardCharsets.US_ASCII));
        ByteBuffer body = ByteBuffer.allocate(data.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        body.asFloatBuffer().put(data);
        out.write(body.array());
    }
}
