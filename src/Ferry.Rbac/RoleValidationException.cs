namespace Ferry.Rbac;

/// <summary>Thrown when role YAML is malformed or invalid. <see cref="Exception.Message"/> lists every error, one per line.</summary>
public sealed class RoleValidationException : Exception
{
    public RoleValidationException(IReadOnlyList<RoleValidationError> errors)
        : base(string.Join('\n', errors))
    {
        Errors = errors;
    }

    public RoleValidationException()
        : this([])
    {
    }

    public RoleValidationException(string message)
        : base(message)
    {
        Errors = [];
    }

    public RoleValidationException(string message, Exception innerException)
        : base(message, innerException)
    {
        Errors = [];
    }

    /// <summary>Every problem found, in document order.</summary>
    public IReadOnlyList<RoleValidationError> Errors { get; }
}
