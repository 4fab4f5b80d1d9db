/**
 * Bounds on everything a remote peer controls in a frame.
 *
 * @remarks
 * Every bound has a default; exceeding one drops the message or closes the link with its own code.
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
}

/** Defaults for {@link FrameLimits}. */
export const defaultFrameLimits: FrameLimits = Object.freeze({
  maxFrameBytes: 65_536,
  maxHops: 255,
  maxArgs: 32,
  maxNameLength: 256,
  maxAddresses: 16,
});
