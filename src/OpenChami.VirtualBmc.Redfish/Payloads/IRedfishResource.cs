namespace OpenChami.VirtualBmc.Redfish.Payloads;

/// <summary>A payload that names its schema type, so the response can link its JSON schema without reflection.</summary>
public interface IRedfishResource
{
    string ODataType { get; }
}
