from django.contrib.auth import views as auth_views
from django.urls import path

from carenet.accounts.forms import LoginForm
from carenet.web import views, views_path

urlpatterns = [
    path("", views.home, name="home"),
    path(
        "login/",
        auth_views.LoginView.as_view(
            authentication_form=LoginForm, redirect_authenticated_user=True
        ),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    # The phone's tab bar (issue 17): 记录 and 我的.
    path("record/", views.record_pick, name="record_pick"),
    path("me/", views.account_me, name="account_me"),
    path("children/", views.child_list, name="child_list"),
    path("children/new/", views.child_create, name="child_create"),
    path("children/<int:pk>/", views.child_detail, name="child_detail"),
    path("children/<int:pk>/card/", views.child_card, name="child_card"),
    path("children/<int:pk>/edit/", views.child_edit, name="child_edit"),
    # A child's path (转学, 转出县外, 迁出, 辍学, 复学, 死亡) and the transfers page.
    path("children/<int:pk>/path/<str:step>/", views_path.child_path, name="child_path"),
    path("transfers/", views_path.transfer_list, name="transfer_list"),
    path("transfers/claim/", views_path.transfer_claim, name="transfer_claim"),
    path("transfers/<int:pk>/decide/", views_path.transfer_decide, name="transfer_decide"),
]
