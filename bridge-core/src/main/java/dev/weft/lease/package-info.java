/**
 * Who does which shared work when several instances use one database: this instance's identity
 * ({@link dev.weft.lease.InstanceId}) and the thread that takes and renews its leases
 * ({@link dev.weft.lease.LeaseKeeper}).
 */
package dev.weft.lease;
