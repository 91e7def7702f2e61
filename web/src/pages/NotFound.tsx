import { A } from "@solidjs/router";

export default function NotFound() {
  return (
    <div class="error-view">
      <h1>Page not found</h1>
      <p>There is nothing at this address.</p>
      <A href="/" class="btn">
        Go to your projects
      </A>
    </div>
  );
}
