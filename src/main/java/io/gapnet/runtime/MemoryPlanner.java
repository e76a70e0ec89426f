package io.gapnet.runtime;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;

/**
 * Assigns every dynamic value to a reusable slot. A value's storage lives from the step that writes it
 * (graph inputs: from the start) to the last step that reads it or any view of it (graph outputs: to the
 * end). A slot is reused once its occupant is dead; a step's output never shares a slot with its inputs.
 * The best-fitting free slot is taken, grown if none is large enough.
 */
final class MemoryPlanner {
    private MemoryPlanner() {}

    /**
     * @return slot index per value id (-1 for constants and unused values); {@code slotFloats} receives sizes
     */
    static int[] plan(List<Value> values, List<Step> steps, Set<Integer> keepAlive, List<Long> slotFloats) {
        int n = values.size();
        int[] root = new int[n];
        int[] def = new int[n];
        int[] last = new int[n];
        Arrays.fill(def, Integer.MAX_VALUE);
        Arrays.fill(last, -2);
        for (Value v : values) root[v.id] = v.aliasOf >= 0 ? v.aliasOf : v.id;
        for (int i = 0; i < steps.size(); i++) {
            Step s = steps.get(i);
            for (int in : s.inputs()) {
                if (in >= 0 && !values.get(in).isConst()) last[root[in]] = Math.max(last[root[in]], i);
            }
            int r = root[s.output()];
            def[r] = Math.min(def[r], i);
            last[r] = Math.max(last[r], i);
        }
        for (int id : keepAlive) {
            if (!values.get(id).isConst()) last[root[id]] = steps.size();
        }
        for (Value v : values) {
            // graph inputs (and views of them) are written before the first step
            if (!v.isConst() && def[root[v.id]] == Integer.MAX_VALUE && last[root[v.id]] >= -1) def[root[v.id]] = -1;
        }
        long[] need = new long[n];
        for (Value v : values) if (!v.isConst()) need[root[v.id]] = Math.max(need[root[v.id]], v.numel());

        int[] slotOfRoot = new int[n];
        Arrays.fill(slotOfRoot, -1);
        List<Long> sizes = new ArrayList<>();
        List<Integer> free = new ArrayList<>();
        List<Integer> live = new ArrayList<>();
        // inputs first, then the output of each step in order
        for (int t = -1; t < steps.size(); t++) {
            final int now = t;
            live.removeIf(r -> {
                if (last[r] < now) {
                    free.add(slotOfRoot[r]);
                    return true;
                }
                return false;
            });
            List<Integer> born = new ArrayList<>();
            if (t < 0) {
                for (int r = 0; r < n; r++) if (root[r] == r && def[r] == -1 && !values.get(r).isConst()) born.add(r);
            } else {
                int r = root[steps.get(t).output()];
                if (def[r] == t) born.add(r);
            }
            for (int r : born) {
                int best = -1;
                for (int s : free) {
                    boolean fits = sizes.get(s) >= need[r];
                    if (best < 0) {
                        best = s;
                        continue;
                    }
                    boolean bestFits = sizes.get(best) >= need[r];
                    if (fits && (!bestFits || sizes.get(s) < sizes.get(best))) best = s;
                    else if (!fits && !bestFits && sizes.get(s) > sizes.get(best)) best = s;
                }
                if (best < 0) {
                    best = sizes.size();
                    sizes.add(need[r]);
                } else {
                    free.remove(Integer.valueOf(best));
                    sizes.set(best, Math.max(sizes.get(best), need[r]));
                }
                slotOfRoot[r] = best;
                live.add(r);
            }
        }
        int[] slotOf = new int[n];
        for (Value v : values) slotOf[v.id] = v.isConst() ? -1 : slotOfRoot[root[v.id]];
        slotFloats.addAll(sizes);
        return slotOf;
    }
}
