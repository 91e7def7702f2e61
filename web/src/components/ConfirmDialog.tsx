import { onMount } from "solid-js";

export function ConfirmDialog(props: {
  title: string;
  message: string;
  confirmLabel: string;
  onConfirm: () => void;
  onClose: () => void;
}) {
  let dialog!: HTMLDialogElement;
  onMount(() => {
    if (typeof dialog.showModal === "function") dialog.showModal();
    else dialog.setAttribute("open", "");
  });
  const close = () => {
    if (dialog.open) dialog.close();
    props.onClose();
  };
  return (
    <dialog
      ref={dialog}
      class="dialog dialog-small"
      role="alertdialog"
      aria-labelledby="confirm-title"
      aria-describedby="confirm-message"
      onCancel={(e) => {
        e.preventDefault();
        close();
      }}
    >
      <h2 id="confirm-title">{props.title}</h2>
      <p id="confirm-message">{props.message}</p>
      <div class="dialog-actions">
        <span class="spacer" />
        <button type="button" class="btn" onClick={close} autofocus>
          Cancel
        </button>
        <button
          type="button"
          class="btn btn-danger"
          onClick={() => {
            close();
            props.onConfirm();
          }}
        >
          {props.confirmLabel}
        </button>
      </div>
    </dialog>
  );
}
