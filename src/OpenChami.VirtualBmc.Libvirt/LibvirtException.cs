namespace OpenChami.VirtualBmc.Libvirt;

/// <summary>A libvirt error, read on the failing call's thread right after the call.</summary>
public sealed class LibvirtException : Exception
{
    public LibvirtException(string operation, int code, int domain, string? libvirtMessage)
        : base($"{operation}: {libvirtMessage ?? "unknown libvirt error"} (code {code}, domain {domain})")
    {
        Operation = operation;
        Code = code;
        ErrorDomain = domain;
        LibvirtMessage = libvirtMessage;
    }

    public LibvirtException()
        : this("libvirt", 0, 0, null)
    {
    }

    public LibvirtException(string message)
        : this("libvirt", 0, 0, message)
    {
    }

    public LibvirtException(string message, Exception innerException)
        : base(message, innerException)
    {
        Operation = "libvirt";
        LibvirtMessage = message;
    }

    /// <summary>The libvirt function that failed.</summary>
    public string Operation { get; }

    /// <summary>libvirt's <c>virErrorNumber</c> (see <see cref="LibvirtErrorCode"/> for the ones the product acts on).</summary>
    public int Code { get; }

    /// <summary>libvirt's <c>virErrorDomain</c>: which part of libvirt raised it (12 = test driver, 10 = QEMU, 7 = RPC).</summary>
    public int ErrorDomain { get; }

    public string? LibvirtMessage { get; }

    /// <summary>True when the error means the connection itself is gone (daemon restart, socket closed).</summary>
    public bool IsConnectionLost =>
        Code is LibvirtErrorCode.NoConnect or LibvirtErrorCode.InvalidConnection or LibvirtErrorCode.Rpc
        || (Code == LibvirtErrorCode.SystemError && ErrorDomain is LibvirtErrorDomain.Rpc or LibvirtErrorDomain.Remote)
        || (Code == LibvirtErrorCode.InternalError && ErrorDomain == LibvirtErrorDomain.Rpc);
}

/// <summary>The <c>virErrorNumber</c> values the product distinguishes.</summary>
public static class LibvirtErrorCode
{
    public const int InternalError = 1;
    public const int NoSupport = 3;
    public const int NoConnect = 5;
    public const int InvalidConnection = 6;
    public const int InvalidArgument = 8;
    public const int OperationFailed = 9;
    public const int XmlError = 27;
    public const int DomainExists = 28;
    public const int SystemError = 38;
    public const int Rpc = 39;
    public const int NoDomain = 42;
    public const int OperationInvalid = 55;
    public const int ConfigUnsupported = 67;
    public const int OperationTimeout = 68;
    public const int NoDomainMetadata = 80;
    public const int OperationUnsupported = 84;
}

/// <summary>The <c>virErrorDomain</c> values the product distinguishes.</summary>
public static class LibvirtErrorDomain
{
    public const int Rpc = 7;
    public const int Qemu = 10;
    public const int Test = 12;
    public const int Remote = 13;
}
