/*
 * fuzz_decode.c - libFuzzer harness for the whole decoder and the row
 * formatting behind it; the body is fuzz_decode_body.c.
 */
#include <stddef.h>
#include <stdint.h>

int fuzz_decode_one(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fuzz_decode_one(data, size);
}
