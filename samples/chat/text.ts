/** Longest name shown or accepted, in characters. */
export const MAX_NAME_LENGTH = 32;
/** Longest message sent or shown, in characters; longer incoming text is cut. */
export const MAX_TEXT_LENGTH = 2000;

// C0/C1 controls (escape sequences, newlines) and bidirectional overrides: a peer's text must not
// move the cursor, recolour the terminal or make one line look like another.
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

/** Peer-supplied text made safe to print on one terminal line, cut at {@link MAX_TEXT_LENGTH}. */
export function cleanText(raw: string): string {
  const text = raw.replace(UNSAFE, ' ');
  return text.length > MAX_TEXT_LENGTH ? `${text.slice(0, MAX_TEXT_LENGTH)}…` : text;
}

/**
 * A peer-supplied name made safe and unambiguous to print: no controls, no spaces (names are
 * the first word of `/msg NAME text`), no `#` (it marks a peer-id suffix), at most
 * {@link MAX_NAME_LENGTH} characters.
 */
export function cleanName(raw: string): string {
  return raw.replace(UNSAFE, '').replace(/[\s#]+/g, '_').slice(0, MAX_NAME_LENGTH) || 'anonymous';
}

/** Whether `name` can be used as one's own name unchanged. */
export function isValidName(name: string): boolean {
  return name.length > 0 && cleanName(name) === name;
}

/** `[HH:MM:SS] line`, local time. */
export function stamp(line: string, at = new Date()): string {
  const two = (n: number) => String(n).padStart(2, '0');
  return `[${two(at.getHours())}:${two(at.getMinutes())}:${two(at.getSeconds())}] ${line}`;
}
