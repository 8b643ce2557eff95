/**
 * The notification runtime behind the {@link dev.weft.notify} SPI: which statuses become
 * notifications ({@link dev.weft.notifications.NotifyOptions}), incidents, the failing step's
 * context, advice from the operator's file ({@link dev.weft.notifications.AdviceFile}), and the one
 * thread that turns queued statuses into outbox rows and delivers them
 * ({@link dev.weft.notifications.Notifications}). The built-in notifiers live in sub-packages.
 */
package dev.weft.notifications;
