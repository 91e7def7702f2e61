// Migrations are embedded as text so the compiled single-file binary carries them.
// A test checks that every .sql file in this folder is listed here, in order.
import init from "./0001_init.sql" with { type: "text" };
import projectSearchIndex from "./0002_project_search_index.sql" with { type: "text" };
import apiTimestamp from "./0003_api_timestamp.sql" with { type: "text" };
import columns from "./0004_columns.sql" with { type: "text" };
import checklistsCommentsActivity from "./0006_checklists_comments_activity.sql" with { type: "text" };
import archiveLabels from "./0007_archive_labels.sql" with { type: "text" };
import columnManagement from "./0008_column_management.sql" with { type: "text" };
import jobsMail from "./0009_jobs_mail.sql" with { type: "text" };
import jobsMailDueIndex from "./0009_jobs_mail_due_index.sql" with { type: "text" };
import notifications from "./0010_notifications.sql" with { type: "text" };
import invitationsPasswordResets from "./0011_invitations_password_resets.sql" with { type: "text" };
import mailPreferencesDigests from "./0012_mail_preferences_digests.sql" with { type: "text" };
import recurrence from "./0013_recurrence.sql" with { type: "text" };
import calendarFeeds from "./0014_calendar_feeds.sql" with { type: "text" };
import attachments from "./0015_attachments.sql" with { type: "text" };
import apiTimestampInlined from "./0016_api_timestamp_inlined.sql" with { type: "text" };

export const migrations: ReadonlyArray<{ version: string; sql: string }> = [
  { version: "0001_init", sql: init },
  { version: "0002_project_search_index", sql: projectSearchIndex },
  { version: "0003_api_timestamp", sql: apiTimestamp },
  { version: "0004_columns", sql: columns },
  { version: "0006_checklists_comments_activity", sql: checklistsCommentsActivity },
  { version: "0007_archive_labels", sql: archiveLabels },
  { version: "0008_column_management", sql: columnManagement },
  { version: "0009_jobs_mail", sql: jobsMail },
  { version: "0009_jobs_mail_due_index", sql: jobsMailDueIndex },
  { version: "0010_notifications", sql: notifications },
  { version: "0011_invitations_password_resets", sql: invitationsPasswordResets },
  { version: "0012_mail_preferences_digests", sql: mailPreferencesDigests },
  { version: "0013_recurrence", sql: recurrence },
  { version: "0014_calendar_feeds", sql: calendarFeeds },
  { version: "0015_attachments", sql: attachments },
  { version: "0016_api_timestamp_inlined", sql: apiTimestampInlined },
];
