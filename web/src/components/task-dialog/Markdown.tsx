// Shows Markdown text rendered (render-markdown.ts, loaded on first use), as plain text until it arrives.
import { createMemo, createResource, Show } from "solid-js";
import { useProject } from "../../stores/project";

type Render = (text: string) => string;
let loading: Promise<(nameOf: (id: string) => string | undefined) => Render> | undefined;
const loadRenderer = () => {
  loading ??= import("./render-markdown").then((module) => module.createRenderer);
  return loading;
};

export function Markdown(props: { text: string; class?: string }) {
  const ctx = useProject();
  const [create] = createResource(loadRenderer);
  const render = createMemo(() => create()?.((id) => ctx.members.nameOf(id)));
  return (
    <Show when={render()} fallback={<div class={`markdown ${props.class ?? ""}`}>{props.text}</div>}>
      {(fn) => <div class={`markdown ${props.class ?? ""}`} innerHTML={fn()(props.text)} />}
    </Show>
  );
}
