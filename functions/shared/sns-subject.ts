/** SNS accepts subjects of printable ASCII shorter than 100 characters; anything else fails the Publish. */
export const snsSubject = (text: string) => text.replace(/[^\x20-\x7e]/g, '?').slice(0, 99);
