/**
 * Bounds on everything a remote peer controls in a frame.
 *
 * @remarks
 * Every bound has a default; exceeding one drops the message or closes the link with its own code.
 * The byte bound alone does not bound work: `maxDepth` and `maxElements` bound what the bytes
 * decode into, and only the wire schema's types decode at all (see `checkWireValue`).
 */
export interface FrameLimits {
  /**
   * Largest encoded frame accepted, in bytes.
   * @defaultValue 65_536 (WCF's MaxReceivedMessageSize)
   */
  readonly maxFrameBytes: number;
  /**
   * Largest hop count a message may carry.
   * @defaultValue 255
   */
  readonly maxHops: number;
  /**
   * Most call arguments in one message.
   * @defaultValue 32
   */
  readonly maxArgs: number;
  /**
   * Longest contract, operation or peer-id string.
   * @defaultValue 256
   */
  readonly maxNameLength: number;
  /**
   * Most addresses or referrals in one handshake frame.
   * @defaultValue 16
   */
  readonly maxAddresses: number;
  /**
   * Deepest nesting of arrays and maps in one decoded value (a frame, or a message body).
   * @defaultValue 32 (WCF's `XmlDictionaryReaderQuotas.MaxDepth`)
   */
  readonly maxDepth: number;
  /**
   * Most values in one decoded value: array items, map keys and map values, counted over every
   * nesting level. Bounds the objects a peer can make a node allocate per frame.
   * @defaultValue 16_384 (WCF's `XmlDictionaryReaderQuotas.MaxArrayLength`)
   */
  readonly maxElements: number;
}

/** Defaults for {@link FrameLimits}. */
export const defaultFrameLimits: FrameLimits = Object.freeze({
  maxFrameBytes: 65_536,
  maxHops: 255,
  maxArgs: 32,
  maxNameLength: 256,
  maxAddresses: 16,
  maxDepth: 32,
  maxElements: 16_384,
});
