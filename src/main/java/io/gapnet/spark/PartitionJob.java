package io.gapnet.spark;

import io.gapnet.GapnetException;
import io.gapnet.Labels;
import io.gapnet.image.Images;
import io.gapnet.image.Preprocessing;
import io.gapnet.runtime.Prediction;
import io.gapnet.runtime.Session;
import io.gapnet.tensor.DType;
import io.gapnet.tensor.Tensor;
import java.io.Serializable;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.concurrent.CompletableFuture;
import org.apache.spark.TaskContext;
import org.apache.spark.resource.ResourceInformation;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.util.DoubleAccumulator;
import org.apache.spark.util.LongAccumulator;

/**
 * What one task does with its partition: rows are read a batch at a time and decoded on a pool of this JVM's
 * threads while the batch before them runs; batches of up to {@code batchSize} images (split where the image shape
 * changes) run on the executor's shared Session, and the rows come out in their order with the answer columns
 * appended; a row whose image cannot be used gets nulls and its error message instead. Rows are pulled lazily, so a
 * partition never sits in memory whole.
 */
final class PartitionJob implements Serializable {
    private static final long serialVersionUID = 1L;

    enum Kind { CLASSIFY, EMBED }

    private final Kind kind;
    private final String model;
    private final String sha256;
    private final String backend;
    private final Labels labels;
    private final Preprocessing preprocessing;
    private final int batchSize;
    private final int top;
    private final int contentIndex;
    private final int pathIndex;
    private final LongAccumulator images;
    private final LongAccumulator failures;
    private final DoubleAccumulator inferenceSeconds;

    PartitionJob(Kind kind, String model, String sha256, String backend, Labels labels, Preprocessing preprocessing, int batchSize,
                 int top, int contentIndex, int pathIndex, LongAccumulator images, LongAccumulator failures,
                 DoubleAccumulator inferenceSeconds) {
        this.kind = kind;
        this.model = model;
        this.sha256 = sha256;
        this.backend = backend;
        this.labels = labels;
        this.preprocessing = preprocessing;
        this.batchSize = batchSize;
        this.top = top;
        this.contentIndex = contentIndex;
        this.pathIndex = pathIndex;
        this.images = images;
        this.failures = failures;
        this.inferenceSeconds = inferenceSeconds;
    }

    /** The number of columns this job appends. */
    int appended() {
        return kind == Kind.CLASSIFY ? 6 : 2;
    }

    /**
     * The backend this task runs on: when Spark assigned the task a GPU ({@code spark.task.resource.gpu.amount}), a
     * cuda or opencl backend takes that device's address; "auto" means CUDA on an assigned GPU, else the CPU.
     */
    static String backendFor(String backend, TaskContext task) {
        ResourceInformation gpu = task == null ? null : task.resourcesJMap().get("gpu");
        String address = gpu != null && gpu.addresses().length > 0 ? gpu.addresses()[0] : null;
        if (backend.equals("auto")) return address != null ? "cuda:" + address : "cpu";
        if (address != null && (backend.equals("cuda") || backend.equals("opencl"))) return backend + ":" + address;
        return backend;
    }

    Iterator<Row> run(Iterator<Row> rows) {
        TaskContext task = TaskContext.get();
        ExecutorSessions.Lease lease = ExecutorSessions.acquire(model, sha256, backendFor(backend, task));
        if (task != null) task.addTaskCompletionListener((org.apache.spark.util.TaskCompletionListener) ctx -> lease.close());
        Preprocessing p = preprocessing != null ? preprocessing
                : lease.modelPreprocessing() != null ? lease.modelPreprocessing() : Preprocessing.imagenet();
        Labels names = labels != null ? labels : lease.modelLabels() != null ? lease.modelLabels() : Labels.none();
        return new Iterator<>() {
            private final ArrayDeque<Row> ready = new ArrayDeque<>();
            // the next batch's rows, already being decoded on the pool while the current batch runs
            private List<Row> nextRows;
            private List<CompletableFuture<Object>> nextDecoded;
            private boolean labelsChecked;

            @Override
            public boolean hasNext() {
                if (ready.isEmpty()) fill();
                if (ready.isEmpty()) lease.close(); // the partition is done: the Session may go idle
                return !ready.isEmpty();
            }

            @Override
            public Row next() {
                if (!hasNext()) throw new NoSuchElementException();
                return ready.poll();
            }

            /** Reads up to a batch of rows (on the task's thread) and starts decoding them on the pool. */
            private void prefetch() {
                nextRows = new ArrayList<>();
                nextDecoded = new ArrayList<>();
                while (nextRows.size() < batchSize && rows.hasNext()) {
                    Row r = rows.next();
                    nextRows.add(r);
                    nextDecoded.add(CompletableFuture.supplyAsync(() -> decode(r, p), DECODERS));
                }
            }

            /** Runs the prefetched batch (in runs of equal image shape) while the next one decodes; queues the results. */
            private void fill() {
                if (nextRows == null) prefetch();
                List<Row> batchRows = nextRows;
                List<CompletableFuture<Object>> decoded = nextDecoded;
                if (batchRows.isEmpty()) return;
                prefetch();
                int i = 0;
                while (i < batchRows.size()) {
                    Object first = decoded.get(i).join();
                    if (!(first instanceof Tensor t0)) { // the decoding error message
                        failures.add(1);
                        images.add(1);
                        ready.add(append(batchRows.get(i), failed((String) first)));
                        i++;
                        continue;
                    }
                    List<Tensor> run = new ArrayList<>(List.of(t0));
                    int j = i + 1;
                    while (j < batchRows.size() && decoded.get(j).join() instanceof Tensor t && Arrays.equals(t.shape(), t0.shape())) {
                        run.add(t);
                        j++;
                    }
                    List<Object[]> answers = answer(run);
                    for (int k = 0; k < run.size(); k++) {
                        Object[] a = answers.get(k);
                        if (a[a.length - 1] != null) failures.add(1);
                        ready.add(append(batchRows.get(i + k), a));
                    }
                    i = j;
                }
            }

            /** The answer columns of each image of a batch (all failed with the same message when the batch fails). */
            private List<Object[]> answer(List<Tensor> batch) {
                Session s = lease.session();
                int n = batch.size(), per = batch.get(0).numel();
                float[] data = new float[n * per];
                for (int i = 0; i < n; i++) System.arraycopy(batch.get(i).floats(), 0, data, i * per, per);
                int[] shape = batch.get(0).shape().clone();
                shape[0] = n;
                Tensor x = Tensor.of(data, shape);
                if (s.graph().inputs().get(0).dtype() == DType.FLOAT16) x = x.asType(DType.FLOAT16);
                List<Object[]> out = new ArrayList<>(n);
                images.add(n);
                String v = kind == Kind.EMBED ? s.embeddingValue() : null;
                Tensor result;
                try {
                    long t0 = System.nanoTime();
                    result = v != null ? s.run(Map.of(s.singleInputName(), x), List.of(v), null).get(v) : s.run(x);
                    inferenceSeconds.add((System.nanoTime() - t0) / 1e9);
                } catch (GapnetException e) { // this batch's images fail; the next batch may be fine
                    for (int i = 0; i < n; i++) out.add(failed(e.getMessage()));
                    return out;
                }
                if (kind == Kind.EMBED) {
                    float[] all = result.toFloats();
                    int c = all.length / n;
                    for (int i = 0; i < n; i++) {
                        List<Float> vec = new ArrayList<>(c);
                        for (int k = 0; k < c; k++) vec.add(all[i * c + k]);
                        out.add(new Object[] {seq(vec), null});
                    }
                    return out;
                }
                if (!labelsChecked) {
                    names.checkClasses(result.numel() / n); // labels that do not fit are the job's mistake: it fails
                    labelsChecked = true;
                }
                for (List<Prediction> preds : Session.topK(result, top, !s.endsInSoftmax())) {
                    List<String> ls = new ArrayList<>();
                    List<Float> ps = new ArrayList<>();
                    List<Integer> is = new ArrayList<>();
                    for (Prediction pr : preds) {
                        ls.add(names.name(pr.index()));
                        ps.add(pr.probability());
                        is.add(pr.index());
                    }
                    out.add(new Object[] {ls.get(0), ps.get(0), seq(ls), seq(ps), seq(is), null});
                }
                return out;
            }
        };
    }

    /** An array column's value as the Row encoder wants it: a Scala sequence. */
    private static scala.collection.immutable.Seq<Object> seq(List<?> values) {
        return scala.jdk.javaapi.CollectionConverters.asScala(new ArrayList<Object>(values)).toList();
    }

    /** Decoders shared by this JVM's tasks: decoding runs beside inference, as the CLI's loader does. */
    private static final java.util.concurrent.ExecutorService DECODERS = java.util.concurrent.Executors.newFixedThreadPool(
            Runtime.getRuntime().availableProcessors(), r -> {
                Thread t = new Thread(r, "gapnet-spark-decode");
                t.setDaemon(true);
                return t;
            });

    /** The image of a row as a preprocessed tensor, or the message that says why there is none. */
    private Object decode(Row r, Preprocessing p) {
        try {
            if (r.isNullAt(contentIndex)) throw new GapnetException("no image");
            Object v = r.get(contentIndex);
            if (v instanceof Row image) return Images.toTensor(imageSourcePlanes(image), p);
            byte[] bytes = (byte[]) v;
            if (bytes.length == 0) throw new GapnetException("no image bytes");
            return Images.toTensor(Images.decode(bytes, name(r)), p);
        } catch (GapnetException e) {
            return e.getMessage();
        } catch (RuntimeException | OutOfMemoryError e) { // one bad image never fails the job
            return "cannot use this image: " + e;
        }
    }

    /**
     * The pixels of a row of Spark's image data source: {@code height}, {@code width}, {@code nChannels} and
     * {@code data}, row-major interleaved bytes in B, G, R (and A) order, or one grey channel.
     */
    static Images.Planes imageSourcePlanes(Row image) {
        String origin = image.getAs("origin");
        int h = image.<Integer>getAs("height"), w = image.<Integer>getAs("width"), c = image.<Integer>getAs("nChannels");
        byte[] data = image.getAs("data");
        if (h <= 0 || w <= 0 || data == null || data.length == 0) {
            throw new GapnetException("image " + origin + " could not be read by Spark's image data source");
        }
        if ((c != 1 && c != 3 && c != 4) || (long) h * w * c != data.length) {
            throw new GapnetException("image " + origin + ": " + c + " channels of " + w + "x" + h + " do not fit " + data.length
                    + " bytes");
        }
        int n = w * h;
        float[][] planes = new float[c == 1 ? 1 : 3][n];
        for (int i = 0; i < n; i++) {
            if (c == 1) {
                planes[0][i] = data[i] & 0xff;
            } else {
                planes[0][i] = data[i * c + 2] & 0xff; // R
                planes[1][i] = data[i * c + 1] & 0xff; // G
                planes[2][i] = data[i * c] & 0xff;     // B
            }
        }
        return new Images.Planes(w, h, planes);
    }

    private String name(Row r) {
        return pathIndex >= 0 && !r.isNullAt(pathIndex) ? r.get(pathIndex).toString() : "row";
    }

    private Object[] failed(String message) {
        Object[] a = new Object[appended()];
        a[a.length - 1] = message;
        return a;
    }

    private static Row append(Row r, Object[] extra) {
        Object[] values = new Object[r.length() + extra.length];
        for (int i = 0; i < r.length(); i++) values[i] = r.get(i);
        System.arraycopy(extra, 0, values, r.length(), extra.length);
        return RowFactory.create(values);
    }
}
