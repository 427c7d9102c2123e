/** Text someone typed (a replay's reason), as a terminal or a page may show it: control characters (C0, DEL, C1,
 *  which carry terminal escape sequences) and the bidirectional controls (which reorder what a reader sees, "Trojan
 *  Source") are written as \u{…} escapes; everything else, any language's letters included, stays as it is. */
// eslint-disable-next-line no-control-regex
const INVISIBLE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

export const visibleText = (text: string) => text.replace(INVISIBLE, (c) => `\\u{${c.codePointAt(0)!.toString(16).padStart(4, '0')}}`);
