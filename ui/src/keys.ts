/// Whether a key press goes into a field (an input, a text area or a select): single-key shortcuts
/// then stay out of the way.
export function typingIn(target: EventTarget | null): boolean {
  return target instanceof HTMLInputElement || target instanceof HTMLTextAreaElement || target instanceof HTMLSelectElement;
}
