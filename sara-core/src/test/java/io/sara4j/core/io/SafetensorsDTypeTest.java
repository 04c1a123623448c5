package io.sara4j.core.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.types.DataType;
import org.junit.jupiter.api.Test;

class SafetensorsDTypeTest {
    @Test
    void mapsEveryTypeBothWaysWithItsSize() {
        for (SafetensorsDType t : SafetensorsDType.values()) {
            assertThat(SafetensorsDType.parse(t.name())).isSameAs(t);
            assertThat(SafetensorsDType.of(t.toDataType())).isSameAs(t);
            assertThat(t.byteSize()).as(t.name()).isEqualTo(t.toDataType().getNumOfBytes());
        }
        assertThat(SafetensorsDType.BF16.toDataType()).isEqualTo(DataType.BFLOAT16);
        assertThat(SafetensorsDType.BOOL.byteSize()).isEqualTo(1);
    }

    @Test
    void loadsBf16AndI16WidenedAndEverythingElseAsStored() {
        assertThat(SafetensorsDType.BF16.loadDataType()).isEqualTo(DataType.FLOAT32);
        assertThat(SafetensorsDType.I16.loadDataType()).isEqualTo(DataType.INT32);
        assertThat(SafetensorsDType.F16.loadDataType()).isEqualTo(DataType.FLOAT16);
        assertThat(SafetensorsDType.BOOL.loadDataType()).isEqualTo(DataType.BOOLEAN);
    }

    @Test
    void refusesUnknownNamesAndTypesListingTheSupportedOnes() {
        assertThatThrownBy(() -> SafetensorsDType.parse("f32"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'f32'").hasMessageContaining("F64, F32, F16, BF16");
        assertThatThrownBy(() -> SafetensorsDType.of(DataType.UINT16))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("UINT16");
    }
}
