package io.gapnet.runtime;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gapnet.Approx;
import io.gapnet.ClosedException;
import io.gapnet.ModelException;
import io.gapnet.ShapeException;
import io.gapnet.backend.cpu.CpuBackend;
import io.gapnet.model.Attributes;
import io.gapnet.model.Graph;
import io.gapnet.model.Node;
import io.gapnet.model.ValueInfo;
import io.gapnet.model.zoo.ResNets;
import io.gapnet.tensor.DType;
import io.gapnet.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class SessionTest {
    static final Graph SMALL = ResNets.build("resnet18", 10, 7);

    static Tensor random(long seed, int... shape) {
        Random r = new Random(seed);
        int n = 1;
        for (int d : shape) n *= d;
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) r.nextGaussian();
        return Tensor.of(v, shape);
    }

    @Test
    void concurrentCallersGetExactlyTheirOwnResults() throws Exception {
        try (CpuBackend cpu = new CpuBackend(); Session s = Session.open(SMALL, cpu)) {
            int callers = 6;
            Tensor[] inputs = new Tensor[callers];
            float[][] expected = new float[callers][];
            for (int i = 0; i < callers; i++) {
                inputs[i] = random(i, 1, 3, 32 + 8 * (i % 2), 32);
                expected[i] = s.run(inputs[i]).floats();
            }
            ExecutorService pool = Executors.newFixedThreadPool(callers);
            try {
                List<Future<float[]>> futures = new ArrayList<>();
                for (int round = 0; round < 3; round++) {
                    for (int i = 0; i < callers; i++) {
                        Tensor in = inputs[i];
                        futures.add(pool.submit(() -> s.run(in).floats()));
                    }
                }
                for (int j = 0; j < futures.size(); j++) {
                    assertArrayEquals(expected[j % callers], futures.get(j).get(60, TimeUnit.SECONDS), "caller " + j);
                }
            } finally {
                pool.shutdownNow();
            }
            assertEquals(2, s.cachedPlans(), "one plan per input shape");
        }
    }

    @Test
    void closeFreesEverythingAndUseAfterCloseIsNamed() {
        try (CpuBackend cpu = new CpuBackend()) {
            for (int i = 0; i < 20; i++) {
                Session s = Session.open(SMALL, cpu);
                s.run(random(1, 1, 3, 32, 32));
                s.run(random(1, 2, 3, 40, 48));
                assertTrue(cpu.liveAllocations() > 0);
                s.close();
                s.close(); // idempotent
                assertEquals(0, cpu.liveAllocations(), "live device buffers after close");
                assertEquals(0, cpu.liveBytes());
                ClosedException e = assertThrows(ClosedException.class, () -> s.run(random(1, 1, 3, 32, 32)));
                assertTrue(e.getMessage().contains("Session of 'resnet18'"), e.getMessage());
            }
        }
    }

    @Test
    void everyPublicMethodOfAClosedSessionThrowsClosedException() throws Exception {
        try (CpuBackend cpu = new CpuBackend()) {
            Session s = Session.open(SMALL, cpu);
            s.close();
            int checked = 0;
            for (java.lang.reflect.Method m : Session.class.getMethods()) {
                if (java.lang.reflect.Modifier.isStatic(m.getModifiers()) || m.getDeclaringClass() != Session.class
                        || m.getName().equals("close") || m.getName().equals("toString")) {
                    continue;
                }
                Object[] args = new Object[m.getParameterCount()];
                Class<?>[] types = m.getParameterTypes();
                for (int i = 0; i < args.length; i++) {
                    args[i] = types[i] == int.class ? 1 : types[i] == boolean.class ? false : types[i] == Tensor.class ? random(1, 1, 3, 32, 32)
                            : types[i] == Map.class ? Map.of() : types[i] == java.util.Collection.class ? java.util.List.of() : null;
                }
                java.lang.reflect.InvocationTargetException e = assertThrows(java.lang.reflect.InvocationTargetException.class,
                        () -> m.invoke(s, args), m.toString());
                assertTrue(e.getCause() instanceof ClosedException, m + " threw " + e.getCause());
                checked++;
            }
            assertTrue(checked >= 12, "methods checked: " + checked);
            s.close();
            assertTrue(s.toString().contains("resnet18"), "toString still works");
        }
    }

    @Test
    void aThousandInputShapesStayWithinThePlanCacheBounds() {
        // a tiny CNN: what grows is one plan per (H, W), each with its activation slots
        Graph g = io.gapnet.TestGraphs.tinyCnn();
        SessionOptions bounded = SessionOptions.DEFAULT.withPlanCache(8, 1L << 20);
        try (CpuBackend cpu = new CpuBackend(); Session s = Session.open(g, cpu, bounded)) {
            s.run(random(1, 1, 3, 5, 5));
            long weightsAndOne = cpu.liveBytes();
            long most = 0;
            for (int i = 0; i < 1000; i++) {
                int h = 5 + i % 40, w = 5 + i / 40;
                Tensor y = s.run(random(i, 1, 3, h, w));
                assertEquals(2, y.numel());
                assertTrue(s.cachedPlans() <= 8, "plans cached: " + s.cachedPlans());
                most = Math.max(most, cpu.liveBytes());
            }
            // what is live is the weights and at most the bounds' worth of plans, not 1000 plans
            assertTrue(most <= weightsAndOne + (1L << 20) + (1L << 16), "most live bytes " + most + ", weights and one plan "
                    + weightsAndOne);
            // an evicted shape is compiled again and gives the same answer
            Tensor first = s.run(random(7, 1, 3, 9, 9));
            for (int i = 0; i < 20; i++) s.run(random(i, 1, 3, 30 + i, 30));
            assertArrayEquals(first.floats(), s.run(random(7, 1, 3, 9, 9)).floats());
        }
    }

    @Test
    void aPlanEvictedWhileRunningIsFreedWhenItsRunEnds() throws Exception {
        Graph g = io.gapnet.TestGraphs.tinyCnn();
        try (CpuBackend cpu = new CpuBackend(); Session s = Session.open(g, cpu, SessionOptions.DEFAULT.withPlanCache(1, 1L << 30))) {
            long before = cpu.liveAllocations();
            java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(4);
            try {
                java.util.List<java.util.concurrent.Future<?>> runs = new java.util.ArrayList<>();
                for (int t = 0; t < 4; t++) {
                    int id = t;
                    runs.add(pool.submit(() -> {
                        for (int i = 0; i < 50; i++) s.run(random(i, 1, 3, 5 + (i + id) % 6, 5));
                        return null;
                    }));
                }
                for (java.util.concurrent.Future<?> f : runs) f.get();
            } finally {
                pool.shutdownNow();
            }
            assertEquals(1, s.cachedPlans());
            s.run(random(0, 1, 3, 40, 40)); // evicts the last cached plan
            assertTrue(cpu.liveAllocations() - before < 40, "live allocations " + (cpu.liveAllocations() - before)
                    + " beyond the weights: only one plan's");
        }
    }

    @Test
    void weightsAreUploadedOncePerSession() {
        try (CpuBackend cpu = new CpuBackend(); Session s = Session.open(SMALL, cpu)) {
            s.run(random(1, 1, 3, 32, 32));
            long afterFirst = cpu.liveBytes();
            s.run(random(1, 1, 3, 32, 32));
            assertEquals(afterFirst, cpu.liveBytes(), "a second run of the same shape allocates nothing");
            s.run(random(1, 1, 3, 64, 64));
            long weights = 4L * SMALL.parameterCount();
            assertTrue(cpu.liveBytes() < 2 * weights, "weights shared between plans: " + cpu.liveBytes() + " bytes live");
        }
    }

    @Test
    void activationBuffersAreReusedByLiveness() {
        try (CpuBackend cpu = new CpuBackend(); Session s = Session.open(ResNets.build("resnet50", 1000, 0), cpu)) {
            Plan p = s.plan(Map.of("input", new int[] {1, 3, 224, 224}));
            // the largest activation of ResNet-50 at 224x224 is 64x112x112 = 256x56x56 floats (3.2 MB); a residual
            // network needs three of them live at once (block input, branch, output)
            assertEquals(3 * 802816L * 4, p.peakActivationBytes());
            assertEquals(3, p.slotCount());
        }
    }

    @Test
    void wrongInputShapesGetHelpfulErrors() {
        Graph g = withStaticInput();
        try (CpuBackend cpu = new CpuBackend(); Session s = Session.open(g, cpu)) {
            ShapeException nhwc = assertThrows(ShapeException.class, () -> s.run(random(1, 1, 8, 8, 3)));
            assertTrue(nhwc.getMessage().contains("expects shape [N,3,8,8] but got [1, 8, 8, 3]"), nhwc.getMessage());
            assertTrue(nhwc.getMessage().contains("NHWC"), nhwc.getMessage());
            ShapeException noBatch = assertThrows(ShapeException.class, () -> s.run(random(1, 3, 8, 8)));
            assertTrue(noBatch.getMessage().contains("batch dimension seems to be missing"), noBatch.getMessage());
            ShapeException type = assertThrows(ShapeException.class, () -> s.run(Tensor.ofLongs(new long[192], 1, 3, 8, 8)));
            assertTrue(type.getMessage().contains("must be a float tensor"), type.getMessage());
            // and the session still works
            assertArrayEquals(new int[] {1, 3, 1, 1}, s.run(random(1, 1, 3, 8, 8)).shape());
        }
    }

    private static Graph withStaticInput() {
        Node gap = new Node("gap", "GlobalAveragePool", List.of("x"), List.of("y"), Attributes.none());
        return new Graph("gap", List.of(gap), Map.of(), List.of(new ValueInfo("x", DType.FLOAT32, new long[] {-1, 3, 8, 8}, new String[] {"N", null, null, null})),
                List.of(new ValueInfo("y", DType.FLOAT32, null, null)), 13);
    }

    @Test
    void topKAndEmbedding() {
        try (CpuBackend cpu = new CpuBackend(); Session s = Session.open(SMALL, cpu)) {
            Tensor x = random(3, 2, 3, 32, 32);
            Tensor logits = s.run(x);
            List<List<Prediction>> top = s.topK(x, 3);
            assertEquals(2, top.size());
            for (int i = 0; i < 2; i++) {
                float[] row = java.util.Arrays.copyOfRange(logits.floats(), i * 10, i * 10 + 10);
                int best = 0;
                for (int j = 1; j < 10; j++) if (row[j] > row[best]) best = j;
                assertEquals(best, top.get(i).get(0).index());
                assertTrue(top.get(i).get(0).probability() >= top.get(i).get(1).probability());
            }
            Tensor emb = s.embed(x);
            assertArrayEquals(new int[] {2, 512}, emb.shape());
            // the logits are the linear layer applied to the embedding: check one by hand
            Tensor w = SMALL.initializers().get("fc.weight"), b = SMALL.initializers().get("fc.bias");
            double dot = b.floats()[4];
            for (int c = 0; c < 512; c++) dot += emb.floats()[512 + c] * w.floats()[4 * 512 + c];
            assertEquals(logits.floats()[10 + 4], dot, 1e-3);
        }
    }

    @Test
    void embeddingNeedsAGapHead() {
        Node relu = new Node("relu", "Relu", List.of("x"), List.of("y"), Attributes.none());
        Graph noGap = new Graph("relu", List.of(relu), Map.of(), List.of(new ValueInfo("x", DType.FLOAT32, null, null)),
                List.of(new ValueInfo("y", DType.FLOAT32, null, null)), 13);
        try (CpuBackend cpu = new CpuBackend(); Session s = Session.open(noGap, cpu)) {
            ModelException e = assertThrows(ModelException.class, () -> s.embed(random(1, 1, 3, 8, 8)));
            assertTrue(e.getMessage().contains("does not end in GAP and a linear layer"), e.getMessage());
            assertTrue(e.getMessage().contains("--layer"), "names the way out: " + e.getMessage());
        }
        // GAP straight to the output (one map per class): the embedding is the GAP vector itself
        try (CpuBackend cpu = new CpuBackend(); Session s = Session.open(withStaticInput(), cpu)) {
            Tensor x = random(1, 1, 3, 8, 8);
            assertEquals(GapHead.Kind.CLASS_MAPS, s.head().kind());
            org.junit.jupiter.api.Assertions.assertArrayEquals(s.run(x).floats(), s.embed(x).floats(), 0f);
        }
    }

    @Test
    void deviceOutOfMemoryLeavesTheSessionUsable() {
        // Pad's amounts are an int64 input, so each run can ask for another output size
        Node pad = new Node("pad", "Pad", List.of("x", "pads"), List.of("y"), Attributes.none());
        Graph g = new Graph("pad", List.of(pad), Map.of(), List.of(new ValueInfo("x", DType.FLOAT32, null, null),
                new ValueInfo("pads", DType.INT64, null, null)), List.of(new ValueInfo("y", DType.FLOAT32, null, null)), 13);
        Tensor x = Tensor.of(new float[] {5}, 1, 1);
        try (CpuBackend cpu = new CpuBackend(); Session s = Session.open(g, cpu)) {
            // 43000 x 43000 floats is 7.4 GB: more than the test JVM's heap
            Tensor huge = Tensor.ofLongs(new long[] {0, 0, 42999, 42999}, 4);
            io.gapnet.DeviceOutOfMemoryException e = assertThrows(io.gapnet.DeviceOutOfMemoryException.class,
                    () -> s.run(Map.of("x", x, "pads", huge)));
            assertTrue(e.getMessage().contains("smaller batch"), e.getMessage());
            Tensor y = s.run(Map.of("x", x, "pads", Tensor.ofLongs(new long[] {1, 0, 0, 1}, 4))).get("y");
            Approx.assertTensor(new int[] {2, 2}, new float[] {0, 0, 5, 0}, y);
        }
    }

    /** Conv 3x3 (no padding) -> Relu -> GlobalAveragePool -> Flatten over an input declared as {@code dims}. */
    private static Graph convGap(long... dims) {
        Map<String, Tensor> w = Map.of("w", random(11, 4, 3, 3, 3));
        List<Node> nodes = List.of(
                new Node("conv", "Conv", List.of("x", "w"), List.of("c"), Attributes.none()),
                new Node("relu", "Relu", List.of("c"), List.of("r"), Attributes.none()),
                new Node("gap", "GlobalAveragePool", List.of("r"), List.of("g"), Attributes.none()),
                new Node("flat", "Flatten", List.of("g"), List.of("y"), Attributes.none()));
        return new Graph("convgap", nodes, w, List.of(new ValueInfo("x", DType.FLOAT32, dims, null)),
                List.of(new ValueInfo("y", DType.FLOAT32, null, null)), 13);
    }

    @Test
    void aModelWithFixedInputShapesIsPreparedWhileTheSessionOpens() {
        Graph fixed = convGap(-1, 3, 6, 6);
        Tensor x = random(3, 1, 3, 6, 6);
        try (CpuBackend cpu = CpuBackend.fast(); Session s = Session.open(fixed, cpu);
             Session lazy = Session.open(fixed, cpu, SessionOptions.DEFAULT.withPrepareAtOpen(false))) {
            assertEquals(1, s.cachedPlans(), "the plan for batch 1 (the dynamic first dimension) is made at open");
            assertEquals(0, lazy.cachedPlans(), "not when the options say so");
            float[] want = lazy.run(x).floats();
            assertArrayEquals(want, s.run(x).floats(), "the prepared plan gives the same result");
            assertEquals(1, s.cachedPlans(), "the first run at the model's own shape used the prepared plan");
            s.run(random(4, 2, 3, 6, 6));
            assertEquals(2, s.cachedPlans(), "another batch size compiles its own plan, as before");
        }
        try (CpuBackend cpu = CpuBackend.fast(); Session s = Session.open(convGap(-1, 3, -1, -1), cpu)) {
            assertEquals(0, s.cachedPlans(), "a dynamic height or width leaves the plan to the first run");
        }
    }

    @Test
    void aDeclaredShapeTheModelCannotRunStillOpensAndTheRunSaysWhy() {
        // a 3x3 convolution without padding on the declared 2x2 input has no output pixels
        try (CpuBackend cpu = CpuBackend.fast(); Session s = Session.open(convGap(1, 3, 2, 2), cpu)) {
            assertEquals(0, s.cachedPlans());
            ShapeException e = assertThrows(ShapeException.class, () -> s.run(random(5, 1, 3, 2, 2)));
            assertTrue(e.getMessage().contains("larger input"), e.getMessage());
            assertThrows(ShapeException.class, () -> s.run(random(6, 1, 3, 2, 2)), "and says so again: nothing was cached");
            assertEquals(0, s.cachedPlans());
        }
    }
}
