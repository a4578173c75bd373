/**
 * Every truncation of `valid`, then every single byte of it replaced by 0x00, 0x05 (NULL), 0x80 and 0xff: the
 * edits that break DER lengths, tags and OIDs. Deterministic and bounded (5 x length variants).
 */
export function corruptedVariants(valid: Uint8Array): ArrayBuffer[] {
  const variants: ArrayBuffer[] = [];
  for (let length = 0; length < valid.length; length++) {
    variants.push(valid.slice(0, length).buffer);
  }
  for (let index = 0; index < valid.length; index++) {
    for (const value of [0x00, 0x05, 0x80, 0xff]) {
      const corrupted = valid.slice();
      corrupted[index] = value;
      variants.push(corrupted.buffer);
    }
  }
  return variants;
}
