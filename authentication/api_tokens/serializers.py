from rest_framework import serializers

from authentication.models import ApiToken


class ApiTokenSerializer(serializers.ModelSerializer):
    class Meta:
        model = ApiToken
        fields = ["id", "name", "prefix", "access", "expires_at", "last_used_at", "created_at"]
        read_only_fields = fields


class ApiTokenCreateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    access = serializers.ChoiceField(
        choices=ApiToken.Access.choices,
        default=ApiToken.Access.READ_ONLY,
        help_text="read_only tokens get 403 on anything but GET, HEAD and OPTIONS.",
    )
    expires_at = serializers.DateTimeField(
        required=False, allow_null=True, default=None, help_text="Omitted or null: the token never expires."
    )


class ApiTokenCreatedSerializer(ApiTokenSerializer):
    token = serializers.CharField(source="secret", help_text="The secret: shown this once, store it now.")

    class Meta(ApiTokenSerializer.Meta):
        fields = [*ApiTokenSerializer.Meta.fields, "token"]
        read_only_fields = fields
