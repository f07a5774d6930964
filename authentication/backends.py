from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend


class UsernameOrEmailBackend(ModelBackend):
    """Log in with the username or, when it contains "@", the email (case-insensitive)."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        user_model = get_user_model()
        if username is None:
            username = kwargs.get(user_model.USERNAME_FIELD)
        if username is None or password is None:
            return None
        lookup = {"email__iexact": username} if "@" in username else {"username": username}
        user = user_model._default_manager.filter(**lookup).first()
        if user is None:
            # Hash anyway, so a missing account takes as long as a wrong password.
            user_model().set_password(password)
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None
