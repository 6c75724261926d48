// Connection thresholds (uthreshold / lthreshold) with IPVS's hysteresis (ip_vs_conn.c): a server
// becomes overloaded when its connections (active + inactive) reach the upper threshold and stays
// so until they drop below the lower threshold, or below 3/4 of the upper one when no lower
// threshold is set. 0 means no limit.

export interface Thresholds {
  upperThreshold: number;
  lowerThreshold: number;
}

/** The overload flag after a connection was bound to or unbound from the server. */
export function nextOverloaded(t: Thresholds, totalConns: number, wasOverloaded: boolean): boolean {
  if (t.upperThreshold > 0 && totalConns >= t.upperThreshold) return true;
  if (!wasOverloaded) return false;
  if (t.lowerThreshold > 0) return totalConns >= t.lowerThreshold;
  if (t.upperThreshold > 0) return totalConns * 4 >= t.upperThreshold * 3;
  return false;
}
