import { describe, expect, test } from "bun:test";
import { render, waitFor } from "@solidjs/testing-library";
import { Suspense } from "solid-js";
import { ProjectContext, type ProjectContextValue } from "../../stores/project";
import { Markdown } from "./Markdown";

describe("Markdown", () => {
  test("plain text until the renderer arrives, without suspending the page around it", async () => {
    const ctx = { members: { nameOf: () => undefined } } as unknown as ProjectContextValue;
    const r = render(() => (
      <Suspense fallback={<p>Page suspended</p>}>
        <ProjectContext.Provider value={ctx}>
          <section data-testid="around">
            <Markdown text="Some **bold** words" />
          </section>
        </ProjectContext.Provider>
      </Suspense>
    ));
    // What the boundary holds stays in the document the whole time (an open modal <dialog> taken out
    // and put back would stop being modal).
    const around = r.getByTestId("around");
    expect(r.queryByText("Page suspended")).toBeNull();
    await waitFor(() => expect(around.querySelector("strong")?.textContent).toBe("bold"));
    expect(r.queryByText("Page suspended")).toBeNull();
    expect(r.getByTestId("around")).toBe(around);
    expect(around.isConnected).toBe(true);
  });
});
