package io.sara4j.core.nn;

import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;

/**
 * An ordered list of child modules registered as {@code 0, 1, 2, ...}, like
 * {@code torch.nn.ModuleList}, so that keys read {@code resnets.0.conv1.weight}.
 *
 * @param <M> the element type
 */
public final class ModuleList<M extends Module> extends Module implements Iterable<M> {
    private final List<M> items = new ArrayList<>();

    /** Appends {@code module} under the next index and returns it. */
    public M add(M module) {
        registerModule(Integer.toString(items.size()), module);
        items.add(module);
        return module;
    }

    /** The element at {@code index}. */
    public M get(int index) {
        return items.get(index);
    }

    /** Number of elements. */
    public int size() {
        return items.size();
    }

    /** Whether the list is empty. */
    public boolean isEmpty() {
        return items.isEmpty();
    }

    /** An unmodifiable view of the elements. */
    public List<M> asList() {
        return Collections.unmodifiableList(items);
    }

    @Override
    public Iterator<M> iterator() {
        return asList().iterator();
    }
}
