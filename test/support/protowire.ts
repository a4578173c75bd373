/**
 * A minimal protobuf wire encoder/decoder written from the encoding spec, independent of the project's
 * .proto files: tests build CheckRequests with upstream field numbers and read CheckResponses by number,
 * so a wrong number in proto/ cannot hide behind a round trip.
 */
export type Field = [number, string | Uint8Array | number | Field[]];

export function encode(fields: readonly Field[]): Buffer {
  const parts: Buffer[] = [];
  for (const [number, value] of fields) {
    if (typeof value === "number") {
      parts.push(varint((number << 3) | 0), varint(value));
      continue;
    }
    const bytes =
      typeof value === "string"
        ? Buffer.from(value, "utf8")
        : Array.isArray(value)
          ? encode(value)
          : Buffer.from(value);
    parts.push(varint((number << 3) | 2), varint(bytes.length), bytes);
  }
  return Buffer.concat(parts);
}

/** A map<string,string> entry: key = 1, value = 2. */
export function mapEntry(key: string, value: string): Field[] {
  return [
    [1, key],
    [2, value],
  ];
}

function varint(value: number): Buffer {
  const bytes: number[] = [];
  let rest = value;
  while (rest > 0x7f) {
    bytes.push((rest & 0x7f) | 0x80);
    rest = Math.floor(rest / 128);
  }
  bytes.push(rest);
  return Buffer.from(bytes);
}

export interface Decoded {
  readonly number: number;
  readonly varint?: number;
  readonly bytes?: Buffer;
}

export function decode(buffer: Buffer): Decoded[] {
  const out: Decoded[] = [];
  let offset = 0;
  const readVarint = (): number => {
    let result = 0;
    let shift = 1;
    for (let i = 0; i < 10; i++) {
      const byte = buffer[offset++];
      if (byte === undefined) throw new Error("truncated varint");
      result += (byte & 0x7f) * shift;
      if ((byte & 0x80) === 0) return result;
      shift *= 128;
    }
    throw new Error("varint too long");
  };
  while (offset < buffer.length) {
    const tag = readVarint();
    const number = Math.floor(tag / 8);
    const wire = tag & 7;
    if (wire === 0) out.push({ number, varint: readVarint() });
    else if (wire === 2) {
      const length = readVarint();
      out.push({ number, bytes: buffer.subarray(offset, offset + length) });
      offset += length;
    } else throw new Error(`unexpected wire type ${wire}`);
  }
  return out;
}

/** All length-delimited values of field `number`. */
export function submessages(buffer: Buffer, number: number): Buffer[] {
  return decode(buffer).flatMap((field) =>
    field.number === number && field.bytes !== undefined ? [field.bytes] : [],
  );
}

export function submessage(buffer: Buffer, number: number): Buffer | undefined {
  return submessages(buffer, number)[0];
}

export function stringField(buffer: Buffer, number: number): string | undefined {
  return submessage(buffer, number)?.toString("utf8");
}

export function varintField(buffer: Buffer, number: number): number | undefined {
  return decode(buffer).find((field) => field.number === number && field.varint !== undefined)?.varint;
}
