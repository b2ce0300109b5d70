/// The relay's version: the one place it is written. `relay --version`, the `User-Agent` of every delivery and the
/// service metadata read it; `scripts/validate_schemas.py` checks that `Schemas/openapi.yaml` and the Kubernetes image
/// tag agree with it.
public enum RelayVersion {
    public static let current = "0.1.0"
}
