package io.sara4j.core.nn;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.sara4j.core.testing.Tensors;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** {@link Embedding}: row lookup, and gradients that accumulate over repeated ids. */
class EmbeddingTest {
    private NDManager manager;

    @BeforeEach
    void setUp() {
        manager = Engines.pytorch().newBaseManager();
    }

    @AfterEach
    void tearDown() {
        manager.close();
    }

    @ParameterizedTest
    @EnumSource(value = DataType.class, names = {"INT64", "INT32"})
    void looksUpRowsAndAccumulatesGradientsOverRepeatedIds(DataType idType) {
        int num = 7;
        int dim = 4;
        // id 3 three times, id 0 twice, ids 2, 4 and 5 never
        int[] ids = {3, 0, 3, 6, 1, 0, 3, 6};
        Shape idShape = new Shape(2, 4);
        Random r = new Random(1);
        double[] w = Tensors.normal(r, num * dim);
        double[] dy = Tensors.normal(r, ids.length * dim);
        Embedding embedding = new Embedding(manager, num, dim);
        embedding.weight().copyFrom(Tensors.float32(manager, w, new Shape(num, dim)));
        embedding.weight().data().setRequiresGradient(true);
        NDArray idArray = manager.create(ids, idShape).toType(idType, false);

        NDArray y = Tensors.forwardBackward(() -> embedding.forward(idArray), dy);

        double[] yRef = new double[ids.length * dim];
        double[] gw = new double[num * dim];
        for (int t = 0; t < ids.length; t++) {
            for (int j = 0; j < dim; j++) {
                yRef[t * dim + j] = w[ids[t] * dim + j];
                gw[ids[t] * dim + j] += dy[t * dim + j];
            }
        }
        assertThat(y.getShape()).isEqualTo(new Shape(2, 4, dim));
        Tensors.assertClose("y", Tensors.toDoubles(y), yRef, 0);
        Tensors.assertClose("dweight", Tensors.toDoubles(embedding.weight().data().getGradient()), gw, 1e-6);
        assertThat(embedding.numEmbeddings()).isEqualTo(num);
        assertThat(embedding.namedParameters()).containsOnlyKeys("weight");
    }
}
