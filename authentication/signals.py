from django.db.models.signals import post_save
from django.dispatch import receiver

from authentication.models import User, UserProfile


@receiver(post_save, sender=User, dispatch_uid="authentication_profile_for_new_user")
def profile_for_new_user(sender, instance: User, created: bool, raw: bool = False, **kwargs) -> None:
    if created and not raw:
        UserProfile.objects.get_or_create(user=instance)
