// Shows Markdown text rendered (render-markdown.ts, loaded on first use), as plain text until it arrives.
// The renderer is a signal, not a resource: a resource read here would suspend the app's <Suspense>,
// which takes the page out of the document while the chunk loads and puts it back after, and an open
// modal <dialog> taken out and put back is no longer modal (no backdrop, the page behind it live).
import { createMemo, createSignal, Show } from "solid-js";
import { useProject } from "../../stores/project";

type Render = (text: string) => string;
type CreateRenderer = (nameOf: (id: string) => string | undefined) => Render;
let loading: Promise<CreateRenderer> | undefined;
const loadRenderer = () => {
  loading ??= import("./render-markdown").then((module) => module.createRenderer);
  // A failed load is tried again by the next Markdown shown; meanwhile the text stays plain.
  loading.catch(() => {
    loading = undefined;
  });
  return loading;
};

export function Markdown(props: { text: string; class?: string }) {
  const ctx = useProject();
  const [create, setCreate] = createSignal<CreateRenderer>();
  loadRenderer().then(
    (renderer) => setCreate(() => renderer),
    () => {},
  );
  const render = createMemo(() => create()?.((id) => ctx.members.nameOf(id)));
  return (
    <Show when={render()} fallback={<div class={`markdown ${props.class ?? ""}`}>{props.text}</div>}>
      {(fn) => <div class={`markdown ${props.class ?? ""}`} innerHTML={fn()(props.text)} />}
    </Show>
  );
}
