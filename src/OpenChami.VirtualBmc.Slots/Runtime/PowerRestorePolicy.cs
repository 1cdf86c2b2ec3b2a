namespace OpenChami.VirtualBmc.Slots.Runtime;

/// <summary>
/// Redfish <c>PowerRestorePolicy</c>: what a slot does when the service (its BMC) starts and finds it off. AlwaysOn
/// powers it on; AlwaysOff and LastState leave it as libvirt kept it — a service restart never takes power from a
/// running VM, and libvirt keeps each domain's state across one, which is its last state.
/// </summary>
public enum PowerRestorePolicy { AlwaysOn, AlwaysOff, LastState }
