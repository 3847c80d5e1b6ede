// A minimal protobuf wire-format writer: just what the ONNX messages need (varints, 32-bit
// floats, length-delimited bytes/strings/sub-messages). Writing it ourselves keeps export free of
// a code generator and of any schema file at run time.

const WIRE_VARINT = 0;
const WIRE_FIXED64 = 1;
const WIRE_BYTES = 2;
const WIRE_FIXED32 = 5;

const utf8 = new TextEncoder();

export class ProtoWriter {
  private buf: Uint8Array;
  private view: DataView;
  private pos = 0;

  constructor(initialSize = 256) {
    this.buf = new Uint8Array(initialSize);
    this.view = new DataView(this.buf.buffer);
  }

  get length(): number {
    return this.pos;
  }

  private ensure(extra: number): void {
    const need = this.pos + extra;
    if (need <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < need) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }

  /**
   * Unsigned or signed (int64 two's complement, 10 bytes for negatives) varint. Numbers must be
   * integers within the safe range; int64 fields in ONNX never need more here.
   */
  varint(value: number | bigint): this {
    if (typeof value === 'number') {
      if (!Number.isSafeInteger(value)) throw new RangeError(`varint: ${value} is not a safe integer`);
      if (value >= 0) {
        this.ensure(8);
        // 7 bits at a time without 32-bit bitwise ops, which would truncate values >= 2^31
        while (value >= 0x80) {
          this.buf[this.pos++] = (value % 0x80) | 0x80;
          value = Math.floor(value / 0x80);
        }
        this.buf[this.pos++] = value;
        return this;
      }
      value = BigInt(value);
    }
    let v = BigInt.asUintN(64, value);
    this.ensure(10);
    while (v >= 0x80n) {
      this.buf[this.pos++] = Number(v & 0x7fn) | 0x80;
      v >>= 7n;
    }
    this.buf[this.pos++] = Number(v);
    return this;
  }

  private tag(field: number, wire: number): void {
    this.varint(field * 8 + wire);
  }

  /** int32 / int64 / enum field (varint encoding) */
  int(field: number, value: number | bigint): this {
    this.tag(field, WIRE_VARINT);
    return this.varint(value);
  }

  float(field: number, value: number): this {
    this.tag(field, WIRE_FIXED32);
    this.ensure(4);
    this.view.setFloat32(this.pos, value, true);
    this.pos += 4;
    return this;
  }

  double(field: number, value: number): this {
    this.tag(field, WIRE_FIXED64);
    this.ensure(8);
    this.view.setFloat64(this.pos, value, true);
    this.pos += 8;
    return this;
  }

  bytes(field: number, value: Uint8Array): this {
    this.tag(field, WIRE_BYTES);
    this.varint(value.length);
    this.ensure(value.length);
    this.buf.set(value, this.pos);
    this.pos += value.length;
    return this;
  }

  string(field: number, value: string): this {
    return this.bytes(field, utf8.encode(value));
  }

  /** an embedded message: built by `build` into its own writer, then written length-prefixed */
  message(field: number, build: (w: ProtoWriter) => void): this {
    const inner = new ProtoWriter();
    build(inner);
    return this.bytes(field, inner.finish());
  }

  /** repeated int64 written unpacked (one tag per value): the proto2 default for such fields */
  repeatedInt(field: number, values: ArrayLike<number>): this {
    for (let i = 0; i < values.length; i++) this.int(field, values[i]!);
    return this;
  }

  /** repeated float written unpacked: the proto2 default for AttributeProto.floats */
  repeatedFloat(field: number, values: ArrayLike<number>): this {
    this.ensure(values.length * 5);
    for (let i = 0; i < values.length; i++) this.float(field, values[i]!);
    return this;
  }

  repeatedString(field: number, values: readonly string[]): this {
    for (const v of values) this.string(field, v);
    return this;
  }

  finish(): Uint8Array {
    return this.buf.slice(0, this.pos);
  }
}
